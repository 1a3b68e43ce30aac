package dev.turnbridge.signaling.session;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.message.ServerMessages;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.JoinResult;
import dev.turnbridge.signaling.room.LogPosition;
import dev.turnbridge.signaling.room.Member;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomCode;
import dev.turnbridge.signaling.room.RoomFanout;
import dev.turnbridge.signaling.room.RoomRegistry;
import dev.turnbridge.signaling.message.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signaling protocol's state machine: connections, peers, presence, resume and the timers (room expiry,
 * resume grace, credential refresh, idle connections), driven by {@link #sweep()}. No Netty here: the
 * transport talks to it through {@link PeerLink} and the {@code open/handle/closed} calls.
 *
 * <p>One lock for everything: a small team's server handles a few messages per second, and a single order of
 * events makes presence and fan-out easy to reason about (a join is seen before that peer's first signal).
 *
 * <p>The room registry answers asynchronously ({@link AsyncRoomRegistry}): the in-memory one at once, so each
 * continuation runs inline under the lock the caller holds, in the order it always did; a shared one (Redis)
 * later on its own thread, when the continuation takes the lock again and first checks that what it acts on
 * is still there. No thread waits for the registry.
 */
public final class SignalingHub {

    private static final Logger log = LoggerFactory.getLogger(SignalingHub.class);
    /** Stands for "the registry has not answered yet" where a refusal need not say whether a room exists. */
    private static final Room UNKNOWN_ROOM = new Room("", 0, Instant.EPOCH, Instant.EPOCH, List.of());
    private static final String PEER_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

    private final SignalingSettings settings;
    private final AsyncRoomRegistry rooms;
    /** Traffic to and from members of the same rooms on other nodes ({@link RoomFanout#NONE}: none). */
    private final RoomFanout fanout;
    /** Rooms this node receives the traffic of: those it has members in. */
    private final Set<String> listening = new java.util.HashSet<>();
    private final IceServersIssuer issuer;
    private final Clock clock;
    private final SecureRandom random;
    private final LocalPeers peers = new LocalPeers();
    private final Set<Connection> connections = new LinkedHashSet<>();
    private final SignalingStats stats = new SignalingStats();
    /** Peers whose outbox overflowed during the current operation; ended once it is done. */
    private final Set<Peer> overflowed = new LinkedHashSet<>();
    private final CallRegistry calls = new CallRegistry();
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
    static final java.time.Duration CALL_REPORT_INTERVAL = java.time.Duration.ofSeconds(1);
    private final AccessControl access;
    private final MembershipListener membership;
    private boolean draining;
    /** Which rooms' presence leases are due for renewal (a shared registry). */
    private final LeaseTurns leaseTurns = new LeaseTurns();
    /** Acknowledged inbox entries forgotten in Redis at a time ({@link #forgetAcknowledged}). */
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
        this.fanout = fanout;
        fanout.receiveWith(this::fromFanout);
        this.membership = membership;
        this.settings = settings;
        this.rooms = rooms;
        this.issuer = issuer;
        this.clock = clock;
        this.random = random;
        this.access = access;
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
    public synchronized Connection open(PeerLink link, String hostHeader, Identity identity, InetAddress remote) {
        Connection c = new Connection(link, hostHeader, identity, remote, clock.instant());
        connections.add(c);
        stats.connectionsOpened.increment();
        if (draining) {
            c.closing = true;
            c.link.close(CloseCodes.DRAINING, "server draining; reconnect later");
        }
        return c;
    }

    /** One decoded message from {@code c}. */
    public synchronized void handle(Connection c, ClientMessage message) {
        if (c.closing || !connections.contains(c)) {
            return;
        }
        stats.message(message);
        if (message instanceof ClientMessage.Join join) {
            join(c, join);
        } else if (message instanceof ClientMessage.Resume resume) {
            resume(c, resume);
        } else if (message instanceof ClientMessage.Signal signal) {
            signal(c, signal);
        } else if (message instanceof ClientMessage.Leave leave) {
            leave(c, leave);
        } else if (message instanceof ClientMessage.Heartbeat heartbeat) {
            Peer peer = c.peer;
            c.link.send(ServerMessages.heartbeat(heartbeat.ref(),
                    peer != null && peer.sequenced ? peer.received : -1));
        } else if (message instanceof ClientMessage.Ack ack) {
            acknowledge(c, ack);
        } else if (message instanceof ClientMessage.CallReport report) {
            callReport(c, report);
        }
        endOverflowed();
    }

    /**
     * The connection is gone. A clean close (the client sent a close frame, as a closing tab does) is a leave;
     * a dropped one keeps the peer for the resume grace, with no presence change.
     */
    public synchronized void closed(Connection c, boolean clean) {
        closed(c, clean, false);
    }

    /**
     * As {@link #closed(Connection, boolean)}; {@code pageHidden}: the client closed with
     * {@link CloseCodes#PAGE_HIDDEN} (its page is reloading or closing), so the seat is kept only for
     * {@link #reloadGrace}: long enough for a reload to take it over with its token, short for a closed tab.
     */
    public synchronized void closed(Connection c, boolean clean, boolean pageHidden) {
        connections.remove(c);
        Peer peer = c.peer;
        c.peer = null;
        if (peer == null || peer.connection != c) {
            return;
        }
        if (clean) {
            removePeer(peer);
            endOverflowed();
        } else {
            peer.connection = null;
            peer.disconnectedAt = clock.instant();
            Duration grace = pageHidden ? reloadGrace(settings.resumeGrace()) : settings.resumeGrace();
            peer.graceEnds = peer.disconnectedAt.plus(grace);
        }
    }

    /** Fresh ICE servers for a member, authorized by its resume token (the HTTP ice-servers endpoint). */
    public synchronized Outcome<IceServers> iceServers(String roomCode, String token, String hostHeader) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty()) {
            return Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null);
        }
        Peer peer = peerFor(token);
        if (peer != null && peer.room.equals(code.get())) {
            return Outcome.ok(issue(peer, hostHeader)); // a member's room exists: ending it ends its members
        }
        // Whether the room exists, as far as the registry can tell without waiting: a shared registry's answer
        // is not awaited on this thread, and the refusal then does not say.
        Optional<Room> room = rooms.find(code.get()).toCompletableFuture().getNow(Optional.of(UNKNOWN_ROOM));
        return room.isEmpty() ? Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null)
                : Outcome.fail(ErrorCode.UNAUTHORIZED, "a member's token is required");
    }

    /**
     * The verified user id ({@code sub}) of member {@code peerId} of room {@code roomCode}, for the relay's
     * per-user quotas; empty when there is no such member or it has none (open mode).
     */
    public synchronized Optional<String> userId(String roomCode, String peerId) {
        Peer peer = peers.get(peerId);
        if (peer == null || !peer.room.equals(roomCode)) {
            return Optional.empty();
        }
        return Optional.ofNullable(peer.member.userId());
    }

    /**
     * {@code c}'s member now shows {@code meta} in presence (the Supabase front-end's {@code track}): every member,
     * itself included, gets a presence diff joining it with the new meta. The verified user id stays as it was.
     * False when {@code c} is in no room.
     */
    public synchronized boolean track(Connection c, com.fasterxml.jackson.databind.node.ObjectNode meta) {
        Peer peer = c.peer;
        Optional<Room> room = peer == null ? Optional.empty() : findNow(peer.room);
        if (room.isEmpty()) {
            return false;
        }
        peer.member = new Member(peer.id(), meta, peer.member.userId());
        List<Member> joins = List.of(peer.member);
        for (Member member : room.get().members()) {
            Peer other = peers.get(member.peerId());
            if (other != null) {
                presence(other, seq -> ServerMessages.presenceDiff(joins, List.of(), seq));
            }
        }
        endOverflowed();
        return true;
    }

    /**
     * A message from outside the room (the Supabase REST broadcast) to every member of {@code roomCode}, as a
     * signal from no peer. False when there is no such live room or {@code identity} may not enter it.
     */
    public synchronized boolean publish(String roomCode, JsonNode payload, Identity identity) {
        Optional<Room> room = RoomCode.normalize(roomCode).flatMap(this::findNow);
        if (room.isEmpty() || room.get().isExpired(clock.instant()) || !access.admits(room.get(), identity)) {
            return false;
        }
        java.util.function.LongFunction<String> text = seq -> ServerMessages.signal(null, null, payload, seq, null);
        for (Member member : room.get().members()) {
            Peer other = peers.get(member.peerId());
            if (other != null) {
                deliverTo(other, text);
            }
        }
        endOverflowed();
        return true;
    }

    /**
     * Fresh ICE servers for a member of {@code roomCode} whose verified user id is {@code userId} (the Supabase
     * front-end's endpoint, authorized by the user's JWT instead of a member token).
     */
    public synchronized Outcome<IceServers> iceServersForUser(String roomCode, String userId, String hostHeader) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty() || findNow(code.get()).isEmpty()) {
            return Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null);
        }
        for (Peer peer : peers.inRoom(code.get())) {
            if (userId != null && userId.equals(peer.member.userId())) {
                return Outcome.ok(issue(peer, hostHeader));
            }
        }
        return Outcome.fail(ErrorCode.FORBIDDEN, "join the room first");
    }

    /** Runs the timers; called every few hundred milliseconds on an event loop. */
    public synchronized void sweep() {
        Instant now = clock.instant();
        after(rooms.removeExpired(now), null, null, expired -> {
            for (Room room : expired) {
                endRoom(room, "the room has expired", now);
            }
        });
        for (Peer peer : List.copyOf(peers.values())) {
            if (peers.get(peer.id()) != peer) {
                continue; // its room ended just now
            }
            if (!now.isBefore(peer.roomExpiresAt)) {
                // A shared registry lets rooms expire by themselves: this node ends its own members' room.
                endRoom(new Room(peer.room, 0, now, peer.roomExpiresAt, List.of(peer.member)),
                        "the room has expired", now);
            } else if (peer.connection == null) {
                if (!now.isBefore(peer.graceEnds)) {
                    log.debug("peer {} did not resume in time", peer.id());
                    removePeer(peer);
                }
            } else if (!now.isBefore(peer.credentialsRefreshAt)) {
                peer.connection.link.send(ServerMessages.credentials(issue(peer, peer.connection.hostHeader)));
            }
        }
        for (Connection c : connections) {
            if (c.peer == null && !c.closing && !now.isBefore(c.idleSince.plus(settings.idleTimeout()))) {
                c.closing = true;
                c.link.close(CloseCodes.IDLE, "no room joined");
            }
        }
        calls.prune(now);
        renewLeases(now);
        endOverflowed();
    }

    /**
     * With a shared registry: renews this node's members' presence leases, room by room, a sixteenth of the
     * rooms at a time ({@link LeaseTurns}) so that each is renewed once per interval. A member of this
     * node that is no longer in its room (its lease lapsed while this node could not reach Redis) is told and
     * removed; members of other nodes whose lease lapsed (their node died) leave the presence of this node's
     * members, and their credentials are revoked here too.
     */
    private void renewLeases(Instant now) {
        List<Integer> turns = leaseTurns.due(now, rooms.renewalInterval());
        if (turns.isEmpty()) {
            return;
        }
        Map<String, List<String>> byRoom = new HashMap<>();
        for (String code : peers.rooms()) {
            if (turns.contains(LeaseTurns.turnOf(code))) {
                byRoom.put(code, peers.inRoom(code).stream().map(Peer::id).toList());
            }
        }
        byRoom.forEach((code, ids) -> after(rooms.renew(code, ids, now), null, null, renewal -> {
            for (String id : renewal.gone()) {
                Peer peer = peers.get(id);
                if (peer != null && peer.room.equals(code)) {
                    if (peer.connection != null) {
                        error(peer.connection, ErrorCode.UNAVAILABLE, "the seat lapsed; join again", null);
                    }
                    removePeer(peer);
                }
            }
            for (Member gone : renewal.lapsed()) {
                membership.memberLeft(code, gone.peerId());
                tellOtherNodes(code, "leave", gone, null);
                for (Peer other : List.copyOf(peers.inRoom(code))) {
                    presence(other, seq -> ServerMessages.presenceDiff(List.of(), List.of(gone), seq));
                }
            }
        }));
    }

    /** Closes every connection (server shutdown); peers are forgotten without presence messages. */
    public synchronized void shutdown() {
        for (Connection c : List.copyOf(connections)) {
            c.closing = true;
            c.link.close(CloseCodes.GOING_AWAY, "server stopping");
        }
        connections.clear();
        peers.clear();
    }

    synchronized int peerCount() {
        return peers.size();
    }

    /** Open WebSocket connections. */
    public synchronized int connectionCount() {
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
    public synchronized CompletionStage<Boolean> closeRoom(String roomCode) {
        Optional<String> code = RoomCode.normalize(roomCode);
        if (code.isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(false);
        }
        return rooms.remove(code.get()).thenApply(room -> {
            synchronized (this) {
                room.ifPresent(r -> {
                    endRoom(r, "the room was closed by the operator", clock.instant());
                    if (fanout != RoomFanout.NONE) {
                        // the other nodes end their members' room too
                        after(fanout.publish(r.code(), "{\"k\":\"end\"}"), null, null, v -> { });
                    }
                });
                endOverflowed();
                return room.isPresent();
            }
        });
    }

    /**
     * Starts a drain before a restart: every connection is closed with {@link CloseCodes#DRAINING} so clients
     * reconnect later (the JavaScript client does, with back-off, and resumes), and new connections are closed
     * the same way. Peers stay for the resume grace.
     */
    public synchronized void drain() {
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
    public synchronized boolean kick(String roomCode, String peerId) {
        Optional<String> code = RoomCode.normalize(roomCode);
        Peer peer = peerId == null ? null : peers.get(peerId);
        if (code.isEmpty() || peer == null || !peer.room.equals(code.get())) {
            return false;
        }
        Connection c = peer.connection;
        if (c != null) {
            stats.error(ErrorCode.KICKED);
            c.link.send(ServerMessages.error(ErrorCode.KICKED, null, null));
            c.idleSince = clock.instant();
        }
        removePeer(peer);
        return true;
    }

    /**
     * Source addresses of the live signaling connections of {@code roomCode}'s members (the relay's strict
     * peers allow them as peers of the room's allocations).
     */
    public synchronized Set<InetAddress> memberAddresses(String roomCode) {
        Set<InetAddress> addresses = new java.util.HashSet<>();
        for (Peer peer : peers.inRoom(roomCode)) {
            if (peer.connection != null && peer.connection.remote != null) {
                addresses.add(peer.connection.remote);
            }
        }
        return addresses;
    }

    private void endRoom(Room room, String why, Instant now) {
        membership.roomEnded(room.code());
        Set<String> ids = new LinkedHashSet<>();
        room.members().forEach(m -> ids.add(m.peerId()));
        // with a shared registry this node's members are ended from what it knows itself
        peers.inRoom(room.code()).forEach(p -> ids.add(p.id()));
        for (String id : ids) {
            Peer peer = peers.remove(id);
            if (peer != null && peer.connection != null) {
                stats.error(ErrorCode.ROOM_EXPIRED);
                peer.connection.link.send(ServerMessages.error(ErrorCode.ROOM_EXPIRED, why, null));
                peer.connection.peer = null;
                peer.connection.idleSince = now;
            }
        }
        unlistenIfEmpty(room.code());
    }

    private void join(Connection c, ClientMessage.Join join) {
        if (c.peer != null || c.joining) {
            stats.join(SignalingStats.JoinOutcome.REFUSED);
            error(c, ErrorCode.BAD_MESSAGE, "already in a room; leave first", join.ref());
            return;
        }
        Optional<String> code = RoomCode.normalize(join.room());
        if (code.isEmpty()) {
            stats.join(SignalingStats.JoinOutcome.ROOM_NOT_FOUND);
            error(c, ErrorCode.ROOM_NOT_FOUND, null, join.ref());
            return;
        }
        Instant now = clock.instant();
        Identity identity = c.identity != null ? c.identity
                : access.mode() == AccessMode.OPEN ? Identity.anonymous() : null;
        if (identity == null || !identity.isValidAt(now)) {
            access.countRefusal(identity == null ? Refusal.MISSING : Refusal.EXPIRED);
            stats.join(SignalingStats.JoinOutcome.REFUSED);
            error(c, ErrorCode.UNAUTHORIZED, identity == null ? Refusal.MISSING.message()
                    : "the access token has expired; reconnect with a fresh one", join.ref());
            return;
        }
        c.joining = true;
        after(rooms.find(code.get()), c, join.ref(), target -> {
            c.joining = false;
            if (c.closing || !connections.contains(c) || c.peer != null) {
                return;
            }
            if (target.isPresent() && !target.get().isExpired(now) && !access.admits(target.get(), identity)) {
                stats.join(SignalingStats.JoinOutcome.REFUSED);
                error(c, ErrorCode.FORBIDDEN, "this room admits its creator and tokens that name it", join.ref());
                return;
            }
            // The same person (a reloaded page) with its seat's token: take the seat over instead of adding one.
            // A seat token that leaked to another user's connection does not carry the seat over (as for resume).
            Peer seated = peerFor(join.token());
            boolean sameUser = seated != null && (seated.member.userId() == null
                    || seated.member.userId().equals(identity.subject()));
            if (seated != null && sameUser && seated.room.equals(code.get()) && target.isPresent()
                    && takeOver(c, seated, join, target.get())) {
                return;
            }
            Member member = new Member(newPeerId(), join.meta(), identity.subject());
            c.joining = true;
            // Subscribed to the room's traffic before taking the seat: a member joining on another node right
            // after this one is seen here.
            after(listen(code.get()), c, join.ref(), subscribed -> {
                c.joining = true;
                after(rooms.join(code.get(), member, now), c, join.ref(), result -> {
                    c.joining = false;
                    joined(c, join, code.get(), member, result);
                    unlistenIfEmpty(code.get());
                });
            });
        });
    }

    /** The registry's answer to a join. */
    private void joined(Connection c, ClientMessage.Join join, String code, Member member, JoinResult result) {
        if (c.closing || !connections.contains(c) || c.peer != null) {
            if (result instanceof JoinResult.Joined) {
                // The connection went away while the registry answered: give the seat back.
                after(rooms.leave(code, member.peerId()), null, null, left -> { });
            }
            return;
        }
        if (result instanceof JoinResult.NotFound) {
            stats.join(SignalingStats.JoinOutcome.ROOM_NOT_FOUND);
            error(c, ErrorCode.ROOM_NOT_FOUND, null, join.ref());
        } else if (result instanceof JoinResult.Full) {
            stats.join(SignalingStats.JoinOutcome.ROOM_FULL);
            error(c, ErrorCode.ROOM_FULL, null, join.ref());
        } else if (result instanceof JoinResult.Expired) {
            stats.join(SignalingStats.JoinOutcome.ROOM_EXPIRED);
            error(c, ErrorCode.ROOM_EXPIRED, null, join.ref());
        } else if (result instanceof JoinResult.Joined joined) {
            stats.join(SignalingStats.JoinOutcome.JOINED);
            byte[] secret = new byte[32];
            random.nextBytes(secret);
            Peer peer = new Peer(member, code, secret, join.self(), join.ack(), join.seq());
            Room room = joined.room();
            peer.roomExpiresAt = room.expiresAt();
            peers.put(peer.id(), peer);
            attach(c, peer);
            after(rooms.saveSeat(peer.id(), new AsyncRoomRegistry.Seat(code, secretHash(tokenOf(peer)),
                    join.self(), join.ack(), join.seq()), room.expiresAt()), null, null, v -> { });
            sendJoined(c, peer, room, join.ref(), false, List.of());
            tellOtherNodes(peer.room, "join", member, room);
            List<Member> joins = List.of(member);
            forOthers(peer, room, other -> true,
                    other -> presence(other, seq -> ServerMessages.presenceDiff(joins, List.of(), seq)));
            log.debug("peer {} joined", peer.id());
        }
    }

    private void resume(Connection c, ClientMessage.Resume resume) {
        if (c.peer != null || c.joining) {
            error(c, ErrorCode.BAD_MESSAGE, "already in a room; leave first", resume.ref());
            return;
        }
        Peer peer = peerFor(resume.token());
        if (peer == null) {
            resumeFromAnotherNode(c, resume);
            return;
        }
        String userId = peer.member.userId();
        if (userId != null && (c.identity == null || !userId.equals(c.identity.subject()))) {
            // A resume token that leaked to another user's connection does not carry the seat over.
            error(c, ErrorCode.FORBIDDEN, "this peer belongs to another user", resume.ref());
            return;
        }
        if (peer.recovering != null) {
            error(c, ErrorCode.UNAVAILABLE, "this peer is still moving here; resume again", resume.ref());
            return;
        }
        c.joining = true;
        after(rooms.find(peer.room), c, resume.ref(), room -> {
            c.joining = false;
            if (c.closing || !connections.contains(c) || c.peer != null || peers.get(peer.id()) != peer
                    || peer.recovering != null) {
                return;
            }
            resumed(c, resume, peer, room);
        });
    }

    private void resumed(Connection c, ClientMessage.Resume resume, Peer peer, Optional<Room> room) {
        if (room.isEmpty() || room.get().isExpired(clock.instant())) {
            error(c, ErrorCode.ROOM_EXPIRED, null, resume.ref());
            return;
        }
        replaceConnection(peer);
        attach(c, peer);
        List<String> replay;
        if (peer.sequenced) {
            long seen = resume.seq() == null ? 0 : resume.seq();
            if (!peer.outbox.ack(seen)) {
                seen = 0; // the client claims more than was sent: replay all that is kept
            }
            forgetAcknowledged(peer);
            replay = peer.outbox.after(seen);
        } else {
            replay = List.copyOf(peer.buffered);
            peer.buffered.clear();
        }
        sendJoined(c, peer, room.get(), resume.ref(), true, replay);
        listen(peer.room);
        log.debug("peer {} resumed, {} replayed", peer.id(), replay.size());
    }

    /**
     * A resume token this node does not know: with a shared registry, a member whose node died (or that
     * reconnected through another node) resumes here as the same peer if its seat is still there (within
     * the lease). Its outbox stayed with the dead node: numbering goes on after what the client has seen, and
     * a sequenced client that says where it is in its inbox ({@code at}) gets what the dead node had not
     * delivered from there ({@link #recoverInbox}).
     */
    private void resumeFromAnotherNode(Connection c, ClientMessage.Resume resume) {
        String token = resume.token();
        int dot = token == null ? -1 : token.indexOf('.');
        if (dot <= 0) {
            error(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
            return;
        }
        String peerId = token.substring(0, dot);
        c.joining = true;
        after(rooms.seat(peerId), c, resume.ref(), seat -> {
            byte[] presented = secretHash(token).getBytes(StandardCharsets.US_ASCII);
            byte[] expected = seat.map(s -> s.secretHash().getBytes(StandardCharsets.US_ASCII)).orElse(new byte[0]);
            if (seat.isEmpty() || !MessageDigest.isEqual(presented, expected) || peers.containsKey(peerId)) {
                c.joining = false;
                error(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
                return;
            }
            String code = seat.get().room();
            after(rooms.find(code), c, resume.ref(), room -> {
                Optional<Member> member = room.flatMap(r -> r.member(peerId));
                if (member.isEmpty() || room.get().isExpired(clock.instant())) {
                    c.joining = false;
                    error(c, member.isEmpty() ? ErrorCode.UNAUTHORIZED : ErrorCode.ROOM_EXPIRED,
                            member.isEmpty() ? "unknown or expired resume token" : null, resume.ref());
                    return;
                }
                String userId = member.get().userId();
                if (userId != null && (c.identity == null || !userId.equals(c.identity.subject()))) {
                    c.joining = false;
                    error(c, ErrorCode.FORBIDDEN, "this peer belongs to another user", resume.ref());
                    return;
                }
                after(rooms.claim(code, peerId, clock.instant()), c, resume.ref(), claimed -> {
                    c.joining = false;
                    if (!claimed || c.closing || !connections.contains(c) || c.peer != null
                            || peers.containsKey(peerId)) {
                        if (!claimed) {
                            error(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
                        }
                        return;
                    }
                    byte[] secret = Base64.getUrlDecoder().decode(token.substring(dot + 1));
                    Peer peer = new Peer(member.get(), code, secret, seat.get().self(), seat.get().ack(),
                            seat.get().seq());
                    peer.roomExpiresAt = room.get().expiresAt();
                    long seen = resume.seq() == null ? 0 : resume.seq();
                    peer.outbox.continueAfter(seen);
                    peers.put(peerId, peer);
                    Optional<LogPosition> at = LogPosition.parse(resume.at());
                    if (!peer.sequenced || at.isEmpty()) {
                        // a client that cannot say what it has seen: what its node had not delivered is lost
                        attach(c, peer);
                        sendJoined(c, peer, room.get(), resume.ref(), true, List.of());
                        listen(code);
                        log.debug("peer {} resumed from another node", peerId);
                        return;
                    }
                    recoverInbox(c, resume, peer, room.get(), seen, at.get());
                });
            });
        });
    }

    /**
     * A sequenced member that moved from a dead node: its inbox after the position {@code at} it gave is
     * delivered first, then what arrived live meanwhile, each signal once; the highest sequence number of its
     * own that Redis has tells it what to send again. Until then it counts as disconnected (its grace runs).
     * An inbox trimmed past {@code at} cannot give back everything, and the member is told to join again.
     */
    private void recoverInbox(Connection c, ClientMessage.Resume resume, Peer peer, Room room, long seen,
                              LogPosition at) {
        Instant now = clock.instant();
        peer.disconnectedAt = now;
        peer.graceEnds = now.plus(settings.resumeGrace());
        peer.recovering = new java.util.ArrayList<>();
        peer.inboxAt = at;
        c.joining = true;
        // Subscribed before the inbox is read: what Redis publishes after the read reaches this node live.
        after(listen(peer.room).thenCompose(v -> fanout.recover(peer.room, peer.id(), at))
                .exceptionally(failure -> null), c, resume.ref(), recovery -> {
                    c.joining = false;
                    List<RoomFanout.Entry> live = peer.recovering;
                    peer.recovering = null;
                    if (peers.get(peer.id()) != peer) {
                        error(c, ErrorCode.ROOM_EXPIRED, null, resume.ref());
                        return;
                    }
                    if (recovery == null) {
                        // Redis did not answer: forget the peer here (its seat stays), so a retry moves it again
                        peers.remove(peer.id());
                        unlistenIfEmpty(peer.room);
                        error(c, ErrorCode.UNAVAILABLE, null, resume.ref());
                        return;
                    }
                    if (!recovery.complete()) {
                        stats.outboxOverflows.increment();
                        removePeer(peer);
                        c.closing = true;
                        c.link.close(CloseCodes.BEHIND, "signals were lost with the node; join again");
                        return;
                    }
                    peer.received = Math.max(peer.received, recovery.received());
                    for (List<RoomFanout.Entry> entries : List.of(recovery.entries(), live)) {
                        for (RoomFanout.Entry entry : entries) {
                            try {
                                deliverFromInbox(peer, entry.at(), Json.MAPPER.readTree(entry.message()));
                            } catch (java.io.IOException e) {
                                log.debug("dropped an inbox entry that is not JSON");
                            }
                        }
                    }
                    if (c.closing || !connections.contains(c) || c.peer != null) {
                        return; // kept for a resume within the grace
                    }
                    attach(c, peer);
                    sendJoined(c, peer, room, resume.ref(), true, peer.outbox.after(seen));
                    log.debug("peer {} resumed from another node, {} signals from its inbox", peer.id(),
                            recovery.entries().size());
                });
    }

    /**
     * The room as the registry knows it when it answers at once (rooms in this process); empty otherwise. For
     * the Supabase front-end's synchronous calls, which the settings allow only with rooms in this process.
     */
    private Optional<Room> findNow(String code) {
        return rooms.find(code).toCompletableFuture().getNow(Optional.empty());
    }

    /** What a shared registry keeps of a resume token: base64url(SHA-256(its secret part)). */
    private static String secretHash(String token) {
        String secret = token.substring(token.indexOf('.') + 1);
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /**
     * A join carrying the token of a member of the same room: the same person (a reloaded page) takes the seat
     * over at once, whatever state the old socket is in, and the others see no leave and no join. The new page
     * starts a fresh delivery session: what the old page had not acknowledged is of no use to it.
     */
    private boolean takeOver(Connection c, Peer peer, ClientMessage.Join join, Room room) {
        if (room.isExpired(clock.instant())) {
            return false;
        }
        replaceConnection(peer);
        peer.self = join.self();
        peer.ack = join.ack();
        peer.sequenced = join.seq();
        peer.outbox.clear();
        peer.buffered.clear();
        peer.received = 0;
        attach(c, peer);
        stats.join(SignalingStats.JoinOutcome.JOINED);
        sendJoined(c, peer, room, join.ref(), true, List.of());
        log.debug("peer {} taken over by a join with its token", peer.id());
        return true;
    }

    /** The old socket has not noticed yet that it is dead (or froze): close it, no leave. */
    private static void replaceConnection(Peer peer) {
        Connection old = peer.connection;
        if (old != null) {
            old.peer = null;
            old.closing = true;
            old.link.close(CloseCodes.REPLACED, "resumed on another connection");
            peer.connection = null;
        }
    }

    private void acknowledge(Connection c, ClientMessage.Ack ack) {
        Peer peer = c.peer;
        if (peer == null || !peer.sequenced) {
            error(c, ErrorCode.BAD_MESSAGE, "ack needs a room joined with config.seq", ack.ref());
        } else if (!peer.outbox.ack(ack.seq())) {
            error(c, ErrorCode.BAD_MESSAGE, "ack of a seq never sent", ack.ref());
        } else {
            forgetAcknowledged(peer);
        }
    }

    /**
     * Lets the peer's inbox in Redis forget the signals its client has acknowledged, {@value #INBOX_TRIM_STEP}
     * at a time (inbox entries are numbered 1, 2, ...): one command per acknowledgement (every 250 ms per busy
     * client) cost Redis more than the signals; the inbox's own bound and the room's expiry cap the rest.
     */
    private void forgetAcknowledged(Peer peer) {
        LogPosition upTo = peer.outbox.takeAcknowledgedInbox();
        if (upTo != null && upTo.millis() - peer.inboxForgotten >= INBOX_TRIM_STEP) {
            peer.inboxForgotten = upTo.millis();
            after(fanout.acknowledged(peer.room, peer.id(), upTo), null, null, v -> { });
        }
    }

    /**
     * One call's outcome from one member. Counted once per call: the other side reports the same call id and
     * is not counted again. A member may only report calls with a member of its own room, a bounded number
     * per membership, at most one every {@link #CALL_REPORT_INTERVAL}.
     */
    private void callReport(Connection c, ClientMessage.CallReport report) {
        Peer peer = c.peer;
        if (peer == null) {
            error(c, ErrorCode.BAD_MESSAGE, "not in a room", report.ref());
            return;
        }
        Peer with = peers.get(report.with());
        if (with == null || with == peer || !with.room.equals(peer.room)) {
            error(c, ErrorCode.BAD_MESSAGE, "with must be another member of the room", report.ref());
            return;
        }
        Instant now = clock.instant();
        if (peer.reportedCalls.contains(report.call())) {
            ackReport(c, peer, report); // already counted: a resent report
            return;
        }
        if (peer.reportedCalls.size() >= Peer.CALL_REPORTS_MAX
                || (peer.lastReportAt != null && now.isBefore(peer.lastReportAt.plus(CALL_REPORT_INTERVAL)))) {
            error(c, ErrorCode.RATE_LIMITED, "too many call reports", report.ref());
            return;
        }
        peer.reportedCalls.add(report.call());
        peer.lastReportAt = now;
        String a = peer.id().compareTo(with.id()) < 0 ? peer.id() : with.id();
        String b = a.equals(peer.id()) ? with.id() : peer.id();
        if (calls.firstReport(peer.room + " " + a + " " + b + " " + report.call(), now)) {
            stats.calls().record(report, now);
        }
        ackReport(c, peer, report);
    }

    private static void ackReport(Connection c, Peer peer, ClientMessage.CallReport report) {
        if (report.ref() != null) {
            c.link.send(ServerMessages.ack(report.ref(), -1));
        }
    }

    /** Sends a presence change: kept for a sequenced peer, sent only on a live socket to a v1 one (as before). */
    private void presence(Peer other, java.util.function.LongFunction<String> diff) {
        if (other.sequenced) {
            deliverTo(other, diff);
        } else if (other.connection != null) {
            other.connection.link.send(diff.apply(0));
        }
    }

    /**
     * A signal at position {@code at} of {@code peer}'s inbox: kept back while the peer's inbox is read after
     * a move from another node, and delivered once (Redis may hand the same entry over twice then: in the
     * inbox read and live).
     */
    private void deliverFromInbox(Peer peer, LogPosition at, JsonNode message) {
        if (peer.recovering != null) {
            if (peer.recovering.size() >= Outbox.MAX_MESSAGES) {
                overflowed.add(peer);
            } else {
                peer.recovering.add(new RoomFanout.Entry(at, Json.write(message)));
            }
            return;
        }
        if (peer.inboxAt != null && !at.isAfter(peer.inboxAt)) {
            return;
        }
        peer.inboxAt = at;
        String from = message.path("from").asText();
        String to = message.hasNonNull("to") ? message.get("to").asText() : null;
        JsonNode payload = message.get("payload");
        String position = at.toString();
        if (!peer.deliver(seq -> ServerMessages.signal(from, to, payload, seq, position), at)) {
            overflowed.add(peer);
        }
    }

    private void deliverTo(Peer peer, java.util.function.LongFunction<String> render) {
        if (!peer.deliver(render)) {
            overflowed.add(peer);
        }
    }

    /** Peers whose outbox filled up: exactly-once is over for them, so they are removed, visibly. */
    private void endOverflowed() {
        while (!overflowed.isEmpty()) {
            Peer peer = overflowed.iterator().next();
            overflowed.remove(peer);
            if (peers.get(peer.id()) != peer) {
                continue;
            }
            stats.outboxOverflows.increment();
            log.debug("peer {} left {} messages unacknowledged; removed", peer.id(), Outbox.MAX_MESSAGES);
            Connection c = peer.connection;
            removePeer(peer);
            if (c != null) {
                c.closing = true;
                c.link.close(CloseCodes.BEHIND, "too many unacknowledged messages; join again");
            }
        }
    }

    private void signal(Connection c, ClientMessage.Signal signal) {
        Peer peer = c.peer;
        if (peer == null) {
            error(c, ErrorCode.BAD_MESSAGE, "join a room first", signal.ref());
            return;
        }
        if (fanout != RoomFanout.NONE) {
            signalThroughInboxes(c, peer, signal);
            return;
        }
        after(rooms.find(peer.room), c, signal.ref(), room -> {
            if (c.peer == peer && peers.get(peer.id()) == peer) {
                signal(c, peer, signal, room);
            }
        });
    }

    private void signal(Connection c, Peer peer, ClientMessage.Signal signal, Optional<Room> room) {
        if (room.isEmpty()) {
            error(c, ErrorCode.ROOM_EXPIRED, null, signal.ref());
            return;
        }
        if (resent(c, peer, signal)) {
            return;
        }
        long start = System.nanoTime();
        java.util.function.LongFunction<String> text =
                seq -> ServerMessages.signal(peer.id(), signal.to(), signal.payload(), seq, null);
        if (signal.to() != null) {
            Peer target = peers.get(signal.to());
            if (target == null || !target.room.equals(peer.room)) {
                error(c, ErrorCode.BAD_MESSAGE, "no such peer in the room", signal.ref());
                return;
            }
            if (target != peer) {
                deliverTo(target, text);
            }
        } else {
            forOthers(peer, room.get(), other -> true, other -> deliverTo(other, text));
        }
        signalDone(c, peer, signal, text, start);
    }

    /**
     * With other nodes: every signal goes through its recipients' inboxes in Redis, and every node (this one
     * too) delivers it when Redis hands it back, so each member sees one order, the order of its inbox, and an
     * acknowledged signal outlives the node that holds its recipient. One script, one round trip: it checks
     * that the room and the addressed member are still there.
     */
    private void signalThroughInboxes(Connection c, Peer peer, ClientMessage.Signal signal) {
        if (resent(c, peer, signal)) {
            return;
        }
        long start = System.nanoTime();
        ObjectNode message = Json.object().put("k", "signal").put("from", peer.id());
        message.put("to", signal.to());
        message.set("payload", signal.payload());
        long seq = peer.sequenced && signal.seq() != null ? signal.seq() : 0;
        after(fanout.signal(peer.room, Json.write(message), new RoomFanout.Sender(peer.id(), signal.to(),
                peer.self, seq)), c, signal.ref(), sent -> {
                    if (peers.get(peer.id()) != peer) {
                        return;
                    }
                    switch (sent) {
                        case NO_ROOM -> error(c, ErrorCode.ROOM_EXPIRED, null, signal.ref());
                        case NO_PEER -> error(c, ErrorCode.BAD_MESSAGE, "no such peer in the room", signal.ref());
                        case DELIVERED -> signalDone(c, peer, signal, null, start);
                    }
                });
    }

    /** A signal resent after a resume although it had arrived: delivered once already, only acknowledged again. */
    private boolean resent(Connection c, Peer peer, ClientMessage.Signal signal) {
        if (!peer.sequenced || signal.seq() == null || signal.seq() > peer.received) {
            return false;
        }
        stats.duplicates.increment();
        if (peer.ack && signal.ref() != null) {
            c.link.send(ServerMessages.ack(signal.ref(), peer.received));
        }
        return true;
    }

    private void signalDone(Connection c, Peer peer, ClientMessage.Signal signal,
                            java.util.function.LongFunction<String> text, long start) {
        stats.fanout(System.nanoTime() - start);
        long received = peer.sequenced ? peer.received : -1;
        if (peer.sequenced && signal.seq() != null) {
            peer.received = Math.max(peer.received, signal.seq());
            received = peer.received;
        }
        if (peer.self && text != null) {
            deliverTo(peer, text);
        }
        if (peer.ack && signal.ref() != null && peer.connection == c) {
            c.link.send(ServerMessages.ack(signal.ref(), received));
        }
    }

    /** Receives this room's traffic from other nodes while this node has members in it. */
    private CompletionStage<Void> listen(String room) {
        if (fanout == RoomFanout.NONE || !listening.add(room)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        return fanout.subscribe(room).whenComplete((v, failure) -> {
            if (failure != null) {
                synchronized (this) {
                    listening.remove(room);
                }
            }
        });
    }

    private void unlistenIfEmpty(String room) {
        if (listening.contains(room) && !peers.hasRoom(room)) {
            listening.remove(room);
            after(fanout.unsubscribe(room), null, null, v -> { });
        }
    }

    /** Tells the other nodes of {@code room} that {@code member} joined or left (when it has members elsewhere). */
    private void tellOtherNodes(String room, String kind, Member member, Room snapshot) {
        if (fanout == RoomFanout.NONE || (snapshot != null
                && snapshot.members().stream().allMatch(m -> peers.containsKey(m.peerId())))) {
            return;
        }
        ObjectNode message = Json.object().put("k", kind).put("id", member.peerId());
        message.set("meta", member.meta());
        message.put("user", member.userId());
        after(fanout.publish(room, Json.write(message)), null, null, v -> { });
    }

    /**
     * A message about {@code room} from Redis: a signal (from any node, this one too) goes to this node's members
     * among its recipients; presence changes and ends of other nodes go to this node's members of the room.
     */
    private synchronized void fromFanout(String room, boolean own, Map<String, LogPosition> recipients,
                                         String text) {
        JsonNode message;
        try {
            message = Json.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            log.debug("dropped a fan-out message that is not JSON");
            return;
        }
        String kind = message.path("k").asText();
        if (kind.equals("signal")) {
            recipients.forEach((id, at) -> {
                Peer peer = peers.get(id);
                if (peer != null && peer.room.equals(room)) {
                    deliverFromInbox(peer, at, message);
                }
            });
            endOverflowed();
            return;
        }
        if (own) {
            return; // this node told its own members when it happened
        }
        List<Peer> here = List.copyOf(peers.inRoom(room));
        if (kind.equals("end")) {
            Instant now = clock.instant();
            endRoom(new Room(room, 0, now, now, List.of()), "the room was closed by the operator", now);
        } else if (kind.equals("join") || kind.equals("leave")) {
            JsonNode user = message.get("user");
            Member member = new Member(message.path("id").asText(), message.get("meta") instanceof ObjectNode meta
                    ? meta : Json.object(), user == null || user.isNull() ? null : user.asText());
            List<Member> joins = kind.equals("join") ? List.of(member) : List.of();
            List<Member> leaves = kind.equals("leave") ? List.of(member) : List.of();
            for (Peer peer : here) {
                if (!peer.id().equals(member.peerId())) {
                    presence(peer, seq -> ServerMessages.presenceDiff(joins, leaves, seq));
                }
            }
            // its node told every relay already (the composition root's revocation bus)
        }
        endOverflowed();
    }

    private void leave(Connection c, ClientMessage.Leave leave) {
        Peer peer = c.peer;
        if (peer == null) {
            error(c, ErrorCode.BAD_MESSAGE, "not in a room", leave.ref());
            return;
        }
        removePeer(peer);
        c.peer = null;
        c.idleSince = clock.instant();
        c.link.send(ServerMessages.left(leave.ref(), peer.room));
    }

    private void attach(Connection c, Peer peer) {
        c.peer = peer;
        peer.connection = c;
        peer.disconnectedAt = null;
    }

    /**
     * {@code joined}, then for a sequenced peer the replay (messages the client missed, in order) and then
     * {@code presence_state}, so the state the client ends with is the current one whatever the replayed diffs
     * said; a v1 peer gets {@code presence_state} before its buffered signals, as protocol v1 always did.
     */
    private void sendJoined(Connection c, Peer peer, Room room, JsonNode ref, boolean resumed, List<String> replay) {
        IceServers ice = issue(peer, c.hostHeader);
        ServerMessages.Delivery delivery = peer.sequenced ? new ServerMessages.Delivery(peer.received,
                replay.size(), settings.messageRate(), settings.messageBurst()) : null;
        List<Member> members = shown(room.members());
        c.link.send(ServerMessages.joined(ref, room.code(), room.expiresAt(), peer.id(), tokenOf(peer),
                members, ice, settings.heartbeatInterval(), resumed, delivery));
        String state = ServerMessages.presenceState(members);
        if (!peer.sequenced) {
            c.link.send(state);
        }
        for (String text : replay) {
            c.link.send(text);
        }
        if (peer.sequenced) {
            c.link.send(state);
        }
    }

    /** The members as they show themselves now: the registry keeps what they joined with, a track may follow. */
    private List<Member> shown(List<Member> members) {
        return members.stream().map(m -> {
            Peer p = peers.get(m.peerId());
            return p != null ? p.member : m;
        }).toList();
    }

    /** Removes a member from its room and tells the others; its token stops working. */
    private void removePeer(Peer peer) {
        peers.remove(peer.id());
        if (peer.connection != null) {
            peer.connection.peer = null;
            peer.connection = null;
        }
        membership.memberLeft(peer.room, peer.id());
        unlistenIfEmpty(peer.room);
        after(rooms.leave(peer.room, peer.id()), null, null, left -> {
            if (left) {
                after(rooms.find(peer.room), null, null, room -> room.ifPresent(r -> {
                    forOthers(peer, r, other -> true, other -> presence(other,
                            seq -> ServerMessages.presenceDiff(List.of(), List.of(peer.member), seq)));
                    tellOtherNodes(peer.room, "leave", peer.member, r);
                }));
                log.debug("peer {} left", peer.id());
            }
        });
    }

    private void forOthers(Peer peer, Room room, java.util.function.Predicate<Peer> when,
                           java.util.function.Consumer<Peer> action) {
        for (Member member : room.members()) {
            Peer other = peers.get(member.peerId());
            if (other != null && other != peer && when.test(other)) {
                action.accept(other);
            }
        }
    }

    private IceServers issue(Peer peer, String hostHeader) {
        IceServers ice = issuer.issue(peer.room + ":" + peer.id(), hostHeader, clock.instant());
        // Push fresh credentials when a quarter of the lifetime is left, so a page never holds expired ones.
        peer.credentialsRefreshAt = ice.expiresAt().minus(ice.ttl().dividedBy(4));
        return ice;
    }

    private String newPeerId() {
        String id;
        do {
            char[] chars = new char[10];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = PEER_ID_ALPHABET.charAt(random.nextInt(PEER_ID_ALPHABET.length()));
            }
            id = new String(chars);
        } while (peers.containsKey(id));
        return id;
    }

    /** {@code <peerId>.<base64url secret>}: the id finds the peer, the secret is compared in constant time. */
    private static String tokenOf(Peer peer) {
        return peer.id() + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(peer.tokenSecret);
    }

    private Peer peerFor(String token) {
        if (token == null) {
            return null;
        }
        int dot = token.indexOf('.');
        if (dot <= 0) {
            return null;
        }
        Peer peer = peers.get(token.substring(0, dot));
        byte[] presented = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = peer == null ? new byte[0]
                : Base64.getUrlEncoder().withoutPadding().encodeToString(peer.tokenSecret)
                        .getBytes(StandardCharsets.US_ASCII);
        return peer != null && MessageDigest.isEqual(presented, expected) ? peer : null;
    }

    /**
     * Runs {@code action} under the hub's lock once the registry answered: inline when it already has (the
     * in-memory registry: the caller holds the lock, so the order of events is what it always was), else on
     * the registry's thread. When the registry cannot answer, {@code c} (if any) is told {@code unavailable}.
     */
    private <T> void after(CompletionStage<T> stage, Connection c, JsonNode ref, Consumer<T> action) {
        stage.whenComplete((value, failure) -> {
            synchronized (this) {
                if (failure != null) {
                    log.debug("room registry unreachable: {}", failure.toString());
                    if (c != null) {
                        c.joining = false;
                        if (!c.closing && connections.contains(c)) {
                            error(c, ErrorCode.UNAVAILABLE, null, ref);
                        }
                    }
                } else {
                    action.accept(value);
                }
                endOverflowed();
            }
        });
    }

    private void error(Connection c, ErrorCode code, String message, JsonNode ref) {
        stats.error(code);
        c.link.send(ServerMessages.error(code, message, ref));
    }

    /** For tests and the composition root's status: live peers and connections. */
    public synchronized String describe() {
        return peers.size() + " peers, " + connections.size() + " connections";
    }
}
