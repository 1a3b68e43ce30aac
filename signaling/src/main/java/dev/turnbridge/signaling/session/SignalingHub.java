package dev.turnbridge.signaling.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.access.Refusal;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.LogPosition;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomCode;
import dev.turnbridge.signaling.room.RoomFanout;
import dev.turnbridge.signaling.room.RoomRegistry;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signaling protocol's entry point: connections, and their messages handed to the {@link RoomShard} of
 * the room they are about. No Netty here: the transport talks to it through {@link PeerLink} and the
 * {@code open/handle/closed} calls; the timers run in {@link #sweep()}.
 *
 * <p>Rooms are spread over {@value #SHARDS} shards by their code, each with its own lock, so the event loops
 * fan out signals of different rooms at once (one lock for every room used one core at most, and a timer
 * sweep over every peer held it for about 10 ms at 10000 peers: docs/bench-signaling.md). The events of one
 * room keep a single order, as they always had. What spans rooms (the connections, peers by id for resume
 * tokens, counters, reported calls) is concurrent.
 */
public final class SignalingHub {

    private static final Logger log = LoggerFactory.getLogger(SignalingHub.class);
    /**
     * Shards per hub: enough that two busy rooms rarely share a lock on a machine with a few dozen event loops,
     * few enough that a sweep over every shard costs nothing.
     */
    static final int SHARDS = 64;

    private final SignalingSettings settings;
    private final AsyncRoomRegistry rooms;
    private final AccessControl access;
    private final Clock clock;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /**
     * Connections in no room (new ones, and those whose member left or was removed): the only ones the idle
     * timeout applies to, so the sweep looks at these rather than at every connection. An entry that joined
     * a room meanwhile is dropped by the sweep; the shards add connections back when they leave one.
     */
    private final Set<Connection> roomless = ConcurrentHashMap.newKeySet();
    /** This node's peers by id, across shards: resume tokens name a peer, not its room. */
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private final SignalingStats stats = new SignalingStats();
    private final CallRegistry calls = new CallRegistry();
    private final RoomShard[] shards;
    /** Which rooms' presence leases are due for renewal (a shared registry); used by {@link #sweep} only. */
    private final LeaseTurns leaseTurns = new LeaseTurns();
    private volatile boolean draining;

    /**
     * How long a seat is kept after the page said it was hidden: half the resume grace (15 s by default), at
     * least 10 s unless the resume grace is shorter. A reload comes back within it; a closed tab's leave shows
     * after it.
     */
    public static Duration reloadGrace(Duration resumeGrace) {
        Duration half = resumeGrace.dividedBy(2);
        Duration floor = Duration.ofSeconds(10);
        return half.compareTo(floor) >= 0 ? half : floor.compareTo(resumeGrace) <= 0 ? floor : resumeGrace;
    }
    /** A member reports at most one call this often (a browser ends a call at most every few seconds). */
    static final Duration CALL_REPORT_INTERVAL = Duration.ofSeconds(1);
    /** Acknowledged inbox entries forgotten in Redis at a time ({@link RoomShard}). */
    static final int INBOX_TRIM_STEP = 32;

    /** A hub with open access (anyone may join any room): for tests of the protocol itself. */
    public SignalingHub(SignalingSettings settings, RoomRegistry rooms, IceServersIssuer issuer, Clock clock,
                        SecureRandom random) {
        this(settings, rooms, issuer, clock, random, new AccessControl(AccessMode.OPEN, new Secret(""), null, null));
    }

    public SignalingHub(SignalingSettings settings, RoomRegistry rooms, IceServersIssuer issuer, Clock clock,
                        SecureRandom random, AccessControl access) {
        this(settings, rooms, issuer, clock, random, access, MembershipListener.NONE);
    }

    /** In open mode, telling {@code membership} when a room ends or a member leaves for good. */
    public SignalingHub(SignalingSettings settings, RoomRegistry rooms, IceServersIssuer issuer, Clock clock,
                        SecureRandom random, MembershipListener membership) {
        this(settings, rooms, issuer, clock, random, new AccessControl(AccessMode.OPEN, new Secret(""), null, null),
                membership);
    }

    /** @param membership told when a room ends or a member leaves for good (the relay revokes their credentials) */
    public SignalingHub(SignalingSettings settings, RoomRegistry rooms, IceServersIssuer issuer, Clock clock,
                        SecureRandom random, AccessControl access, MembershipListener membership) {
        this(settings, AsyncRoomRegistry.of(rooms), issuer, clock, random, access, membership);
    }

    /** With a registry that may answer later, without other nodes. */
    public SignalingHub(SignalingSettings settings, AsyncRoomRegistry rooms, IceServersIssuer issuer, Clock clock,
                        SecureRandom random, AccessControl access, MembershipListener membership) {
        this(settings, rooms, RoomFanout.NONE, issuer, clock, random, access, membership);
    }

    /** With a registry shared by several nodes and the fan-out that carries a room's traffic between them. */
    public SignalingHub(SignalingSettings settings, AsyncRoomRegistry rooms, RoomFanout fanout,
                        IceServersIssuer issuer, Clock clock, SecureRandom random, AccessControl access,
                        MembershipListener membership) {
        this(settings, rooms, fanout, issuer, clock, random, access, membership, SHARDS);
    }

    /** As above with {@code shards} shards (1: every room behind one lock, as this hub once was). */
    SignalingHub(SignalingSettings settings, AsyncRoomRegistry rooms, RoomFanout fanout, IceServersIssuer issuer,
                 Clock clock, SecureRandom random, AccessControl access, MembershipListener membership,
                 int shards) {
        this.settings = settings;
        this.rooms = rooms;
        this.access = access;
        this.clock = clock;
        RoomShard.Shared shared = new RoomShard.Shared(settings, rooms, fanout, issuer, clock, random, access,
                membership, connections, roomless, peers, stats, calls);
        this.shards = new RoomShard[shards];
        for (int i = 0; i < shards; i++) {
            this.shards[i] = new RoomShard(shared);
        }
        fanout.receiveWith(this::fromFanout);
    }

    private RoomShard shard(String roomCode) {
        return shards[Math.floorMod(roomCode.hashCode(), shards.length)];
    }

    /** Who may do what: shared with the HTTP API. */
    public AccessControl access() {
        return access;
    }

    /** A new WebSocket connection without a verified identity: it may join rooms only in open mode. */
    public Connection open(PeerLink link, String hostHeader) {
        return open(link, hostHeader, null);
    }

    /** A new WebSocket connection whose access token proved {@code identity} (null: none). */
    public Connection open(PeerLink link, String hostHeader, Identity identity) {
        return open(link, hostHeader, identity, null);
    }

    /** As above, from {@code remote} (null when unknown: strict peers on the relay then know no address). */
    public Connection open(PeerLink link, String hostHeader, Identity identity, InetAddress remote) {
        Connection c = new Connection(link, hostHeader, identity, remote, clock.instant());
        connections.add(c);
        roomless.add(c);
        stats.connectionsOpened.increment();
        if (draining) { // read after the add: a drain that starts meanwhile sees c, or this sees the drain
            c.closing = true;
            c.link.close(CloseCodes.DRAINING, "server draining; reconnect later");
        }
        return c;
    }

    /** One decoded message from {@code c}; a connection's messages come one at a time (its event loop). */
    public void handle(Connection c, ClientMessage message) {
        if (c.closing || !connections.contains(c)) {
            return;
        }
        stats.message(message);
        if (message instanceof ClientMessage.Join join) {
            join(c, join);
        } else if (message instanceof ClientMessage.Resume resume) {
            resume(c, resume);
        } else {
            Peer peer = c.peer;
            if (peer == null) {
                RoomShard.outsideRoom(stats, c, message);
            } else {
                shard(peer.room).handle(c, peer, message);
            }
        }
    }

    private void join(Connection c, ClientMessage.Join join) {
        if (c.peer != null || c.joining) {
            stats.join(SignalingStats.JoinOutcome.REFUSED);
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "already in a room; leave first", join.ref());
            return;
        }
        Optional<String> code = RoomCode.normalize(join.room());
        if (code.isEmpty()) {
            stats.join(SignalingStats.JoinOutcome.ROOM_NOT_FOUND);
            c.sendError(stats, ErrorCode.ROOM_NOT_FOUND, null, join.ref());
            return;
        }
        Instant now = clock.instant();
        Identity identity = c.identity != null ? c.identity
                : access.mode() == AccessMode.OPEN ? Identity.anonymous() : null;
        if (identity == null || !identity.isValidAt(now)) {
            access.countRefusal(identity == null ? Refusal.MISSING : Refusal.EXPIRED);
            stats.join(SignalingStats.JoinOutcome.REFUSED);
            c.sendError(stats, ErrorCode.UNAUTHORIZED, identity == null ? Refusal.MISSING.message()
                    : "the access token has expired; reconnect with a fresh one", join.ref());
            return;
        }
        shard(code.get()).join(c, join, code.get(), identity, now);
    }

    /**
     * A resume: by the peer its token names when it is on this node, else (a shared registry) by the seat the
     * registry keeps for it, in the shard of the seat's room.
     */
    private void resume(Connection c, ClientMessage.Resume resume) {
        if (c.peer != null || c.joining) {
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "already in a room; leave first", resume.ref());
            return;
        }
        Peer peer = ResumeTokens.find(peers::get, resume.token());
        if (peer != null && shard(peer.room).resume(c, resume, peer)) {
            return;
        }
        String peerId = ResumeTokens.peerId(resume.token());
        if (peerId == null) {
            c.sendError(stats, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
            return;
        }
        c.joining = true;
        rooms.seat(peerId).whenComplete((seat, failure) -> {
            if (failure != null || seat.isEmpty()) {
                c.joining = false;
                if (failure != null) {
                    log.debug("room registry unreachable: {}", failure.toString());
                }
                if (!c.closing && connections.contains(c)) {
                    c.sendError(stats, failure != null ? ErrorCode.UNAVAILABLE : ErrorCode.UNAUTHORIZED,
                            failure != null ? null : "unknown or expired resume token", resume.ref());
                }
                return;
            }
            shard(seat.get().room()).resumeSeat(c, resume, peerId, seat.get());
        });
    }

    /**
     * The connection is gone. A clean close (the client sent a close frame, as a closing tab does) is a leave;
     * a dropped one keeps the peer for the resume grace, with no presence change.
     */
    public void closed(Connection c, boolean clean) {
        closed(c, clean, false);
    }

    /**
     * As {@link #closed(Connection, boolean)}; {@code pageHidden}: the client closed with
     * {@link CloseCodes#PAGE_HIDDEN} (its page is reloading or closing), so the seat is kept only for
     * {@link #reloadGrace}: long enough for a reload to take it over with its token, short for a closed tab.
     */
    public void closed(Connection c, boolean clean, boolean pageHidden) {
        connections.remove(c);
        roomless.remove(c);
        Peer peer;
        synchronized (c) { // after this no shard attaches a peer to c (RoomShard)
            c.closing = true;
            peer = c.peer;
        }
        if (peer != null) {
            shard(peer.room).closed(c, peer, clean,
                    pageHidden ? reloadGrace(settings.resumeGrace()) : settings.resumeGrace());
        }
    }

    /** Fresh ICE servers for a member, authorized by its resume token (the HTTP ice-servers endpoint). */
    public Outcome<IceServers> iceServers(String roomCode, String token, String hostHeader) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty()) {
            return Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null);
        }
        return shard(code.get()).iceServers(code.get(), token, hostHeader);
    }

    /**
     * The verified user id ({@code sub}) of member {@code peerId} of room {@code roomCode}, for the relay's
     * per-user quotas; empty when there is no such member or it has none (open mode).
     */
    public Optional<String> userId(String roomCode, String peerId) {
        return shard(roomCode).userId(roomCode, peerId);
    }

    /**
     * {@code c}'s member now shows {@code meta} in presence (the Supabase front-end's {@code track}): every member,
     * itself included, gets a presence diff joining it with the new meta. The verified user id stays as it was.
     * False when {@code c} is in no room.
     */
    public boolean track(Connection c, ObjectNode meta) {
        Peer peer = c.peer;
        return peer != null && shard(peer.room).track(c, peer, meta);
    }

    /**
     * A message from outside the room (the Supabase REST broadcast) to every member of {@code roomCode}, as a
     * signal from no peer. False when there is no such live room or {@code identity} may not enter it.
     */
    public boolean publish(String roomCode, JsonNode payload, Identity identity) {
        Optional<String> code = RoomCode.normalize(roomCode);
        return code.isPresent() && shard(code.get()).publish(code.get(), payload, identity);
    }

    /**
     * Fresh ICE servers for a member of {@code roomCode} whose verified user id is {@code userId} (the Supabase
     * front-end's endpoint, authorized by the user's JWT instead of a member token).
     */
    public Outcome<IceServers> iceServersForUser(String roomCode, String userId, String hostHeader) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty()) {
            return Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null);
        }
        return shard(code.get()).iceServersForUser(code.get(), userId, hostHeader);
    }

    /**
     * Runs the timers; called every few hundred milliseconds on an event loop. Each shard takes only its peers
     * whose timer is due, under its own lock, and only connections in no room are checked for idleness.
     */
    public void sweep() {
        synchronized (leaseTurns) { // one sweep at a time
            Instant now = clock.instant();
            rooms.removeExpired(now).whenComplete((expired, failure) -> {
                if (failure != null) {
                    log.debug("room registry unreachable: {}", failure.toString());
                    return;
                }
                for (Room room : expired) {
                    shard(room.code()).ended(room, "the room has expired");
                }
            });
            for (RoomShard shard : shards) {
                shard.sweep(now);
            }
            for (Connection c : roomless) {
                if (c.peer != null || !connections.contains(c)) {
                    roomless.remove(c);
                    if (c.peer == null && connections.contains(c)) {
                        roomless.add(c); // it left its room again while this looked
                    }
                } else if (!c.closing && !now.isBefore(c.idleSince.plus(settings.idleTimeout()))) {
                    c.closing = true;
                    c.link.close(CloseCodes.IDLE, "no room joined");
                }
            }
            calls.prune(now);
            List<Integer> turns = leaseTurns.due(now, rooms.renewalInterval());
            if (!turns.isEmpty()) {
                for (RoomShard shard : shards) {
                    shard.renewLeases(turns, now);
                }
            }
        }
    }

    /** Closes every connection (server shutdown); peers are forgotten without presence messages. */
    public void shutdown() {
        for (Connection c : List.copyOf(connections)) {
            c.closing = true;
            c.link.close(CloseCodes.GOING_AWAY, "server stopping");
        }
        connections.clear();
        roomless.clear();
        for (RoomShard shard : shards) {
            shard.clear();
        }
    }

    int peerCount() {
        int n = 0;
        for (RoomShard shard : shards) {
            n += shard.peerCount();
        }
        return n;
    }

    /** Open WebSocket connections. */
    public int connectionCount() {
        return connections.size();
    }

    /** The counters the composition root binds to meters. */
    public SignalingStats stats() {
        return stats;
    }

    /**
     * Closes a room now (an operator's decision): its members get {@code room_expired}, as when it times out,
     * and their credentials stop being refreshed. Returns false when there is no such room.
     */
    public CompletionStage<Boolean> closeRoom(String roomCode) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return rooms.remove(code.get()).thenApply(room -> {
            room.ifPresent(r -> shard(r.code()).closedByOperator(r));
            return room.isPresent();
        });
    }

    /**
     * Starts a drain before a restart: every connection is closed with {@link CloseCodes#DRAINING} so clients
     * reconnect later (the JavaScript client does, with back-off, and resumes), and new connections are closed
     * the same way. Peers stay for the resume grace.
     */
    public void drain() {
        draining = true;
        for (Connection c : List.copyOf(connections)) {
            if (!c.closing) {
                c.closing = true;
                c.link.close(CloseCodes.DRAINING, "server draining; reconnect later");
            }
        }
    }

    /**
     * Removes one member now (an operator's decision): it gets {@code kicked}, the others a presence diff, and
     * its TURN credentials are revoked. Returns false when the room has no such member.
     */
    public boolean kick(String roomCode, String peerId) {
        Optional<String> code = RoomCode.normalize(roomCode);
        return code.isPresent() && shard(code.get()).kick(code.get(), peerId);
    }

    /**
     * Source addresses of the live signaling connections of {@code roomCode}'s members (the relay's strict
     * peers allow them as peers of the room's allocations).
     */
    public Set<InetAddress> memberAddresses(String roomCode) {
        return shard(roomCode).memberAddresses(roomCode);
    }

    /** A message about {@code room} from Redis, for the room's shard. */
    private void fromFanout(String room, boolean own, Map<String, LogPosition> recipients, String text) {
        JsonNode message;
        try {
            message = Json.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            log.debug("dropped a fan-out message that is not JSON");
            return;
        }
        shard(room).fromFanout(room, own, recipients, message);
    }

    /** For tests and the composition root's status: live peers and connections. */
    public String describe() {
        return peerCount() + " peers, " + connections.size() + " connections";
    }
}
