package dev.turnbridge.signaling.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.message.ServerMessages;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.JoinResult;
import dev.turnbridge.signaling.room.LogPosition;
import dev.turnbridge.signaling.room.Member;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomFanout;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signaling protocol's state machine for the rooms whose codes hash to this shard: their peers, presence,
 * resume, fan-out and timers. One lock (this object's monitor) orders every event of these rooms, so a join is
 * seen before that peer's first signal; rooms of other shards go on meanwhile on other threads.
 *
 * <p>A connection is in at most one room, so one shard at a time changes it. Attaching a peer to a connection
 * takes the connection's monitor as well (a leaf lock: nothing is locked inside it), and so does the hub when
 * the connection closes: a peer is never attached to a connection that closed meanwhile, whichever thread the
 * room registry answers on.
 *
 * <p>The room registry answers asynchronously ({@link AsyncRoomRegistry}): the in-memory one at once, so each
 * continuation runs inline under the lock the caller holds, in the order it always did; a shared one (Redis)
 * later on its own thread, when the continuation takes the lock again and first checks that what it acts on
 * is still there. No thread waits for the registry.
 */
final class RoomShard {

    private static final Logger log = LoggerFactory.getLogger(RoomShard.class);
    /** Stands for "the registry has not answered yet" where a refusal need not say whether a room exists. */
    private static final Room UNKNOWN_ROOM = new Room("", 0, Instant.EPOCH, Instant.EPOCH, List.of());
    private static final String PEER_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

    private final SignalingSettings settings;
    private final AsyncRoomRegistry rooms;
    /** Traffic to and from members of the same rooms on other nodes ({@link RoomFanout#NONE}: none). */
    private final RoomFanout fanout;
    /** Rooms of this shard whose traffic this node receives: those it has members in. */
    private final Set<String> listening = new HashSet<>();
    private final IceServersIssuer issuer;
    private final Clock clock;
    private final SecureRandom random;
    private final LocalPeers peers;
    /** The node's open connections (the hub's, concurrent). */
    private final Set<Connection> connections;
    /** The hub's connections in no room, whose idle timeout its sweep watches (concurrent). */
    private final Set<Connection> roomless;
    private final SignalingStats stats;
    /** Peers whose outbox overflowed during the current operation; ended once it is done. */
    private final Set<Peer> overflowed = new LinkedHashSet<>();
    private final CallRegistry calls;
    private final AccessControl access;
    private final MembershipListener membership;

    /** What every shard of a hub shares. */
    record Shared(SignalingSettings settings, AsyncRoomRegistry rooms, RoomFanout fanout, IceServersIssuer issuer,
                  Clock clock, SecureRandom random, AccessControl access, MembershipListener membership,
                  Set<Connection> connections, Set<Connection> roomless, Map<String, Peer> peers,
                  SignalingStats stats, CallRegistry calls) {
    }

    RoomShard(Shared shared) {
        this.settings = shared.settings();
        this.rooms = shared.rooms();
        this.fanout = shared.fanout();
        this.issuer = shared.issuer();
        this.clock = shared.clock();
        this.random = shared.random();
        this.access = shared.access();
        this.membership = shared.membership();
        this.connections = shared.connections();
        this.roomless = shared.roomless();
        this.peers = new LocalPeers(shared.peers());
        this.stats = shared.stats();
        this.calls = shared.calls();
    }

    /**
     * The answer to a message that needs a room from a connection that is in none (it never joined, or its
     * peer was removed while the message was on its way).
     */
    static void outsideRoom(SignalingStats stats, Connection c, ClientMessage message) {
        if (message instanceof ClientMessage.Signal signal) {
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "join a room first", signal.ref());
        } else if (message instanceof ClientMessage.Leave leave) {
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "not in a room", leave.ref());
        } else if (message instanceof ClientMessage.Heartbeat heartbeat) {
            c.link.send(ServerMessages.heartbeat(heartbeat.ref(), -1));
        } else if (message instanceof ClientMessage.Ack ack) {
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "ack needs a room joined with config.seq", ack.ref());
        } else if (message instanceof ClientMessage.CallReport report) {
            c.sendError(stats, ErrorCode.BAD_MESSAGE, "not in a room", report.ref());
        }
    }

    /** A message of {@code c}, whose peer was {@code peer} when the hub looked, about the peer's room. */
    synchronized void handle(Connection c, Peer peer, ClientMessage message) {
        if (c.peer != peer || peers.get(peer.id()) != peer) {
            outsideRoom(stats, c, message);
            return;
        }
        if (message instanceof ClientMessage.Signal signal) {
            signal(c, peer, signal);
        } else if (message instanceof ClientMessage.Leave leave) {
            leave(c, peer, leave);
        } else if (message instanceof ClientMessage.Heartbeat heartbeat) {
            c.link.send(ServerMessages.heartbeat(heartbeat.ref(), peer.sequenced ? peer.received : -1));
        } else if (message instanceof ClientMessage.Ack ack) {
            acknowledge(c, peer, ack);
        } else if (message instanceof ClientMessage.CallReport report) {
            callReport(c, peer, report);
        }
        endOverflowed();
    }

    /**
     * {@code c} closed while its peer was {@code peer}. A clean close (the client sent a close frame, as a closing
     * tab does) is a leave; a dropped one keeps the peer for {@code grace}, with no presence change.
     */
    synchronized void closed(Connection c, Peer peer, boolean clean, Duration grace) {
        if (c.peer == peer) {
            c.peer = null;
        }
        if (peer.connection != c || peers.get(peer.id()) != peer) {
            return;
        }
        if (clean) {
            removePeer(peer);
            endOverflowed();
        } else {
            disconnected(peer, grace);
        }
    }

    private void disconnected(Peer peer, Duration grace) {
        peer.connection = null;
        peer.disconnectedAt = clock.instant();
        peer.graceEnds = peer.disconnectedAt.plus(grace);
        schedule(peer);
    }

    /** Fresh ICE servers for a member of room {@code code}, authorized by its resume token. */
    synchronized Outcome<IceServers> iceServers(String code, String token, String hostHeader) {
        Peer peer = peerFor(token);
        if (peer != null && peer.room.equals(code)) {
            return Outcome.ok(issue(peer, hostHeader)); // a member's room exists: ending it ends its members
        }
        // Whether the room exists, as far as the registry can tell without waiting: a shared registry's answer
        // is not awaited on this thread, and the refusal then does not say.
        Optional<Room> room = rooms.find(code).toCompletableFuture().getNow(Optional.of(UNKNOWN_ROOM));
        return room.isEmpty() ? Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null)
                : Outcome.fail(ErrorCode.UNAUTHORIZED, "a member's token is required");
    }

    /** The verified user id of member {@code peerId} of {@code roomCode}; empty when none. */
    synchronized Optional<String> userId(String roomCode, String peerId) {
        Peer peer = peers.get(peerId);
        if (peer == null || !peer.room.equals(roomCode)) {
            return Optional.empty();
        }
        return Optional.ofNullable(peer.member.userId());
    }

    /** {@code peer} (of {@code c}) now shows {@code meta} in presence; false when it is no longer in its room. */
    synchronized boolean track(Connection c, Peer peer, ObjectNode meta) {
        Optional<Room> room = c.peer != peer ? Optional.empty() : findNow(peer.room);
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

    /** A message from outside the room to every member of {@code code}, as a signal from no peer. */
    synchronized boolean publish(String code, JsonNode payload, Identity identity) {
        Optional<Room> room = findNow(code);
        if (room.isEmpty() || room.get().isExpired(clock.instant()) || !access.admits(room.get(), identity)) {
            return false;
        }
        LongFunction<String> text = seq -> ServerMessages.signal(null, null, payload, seq, null);
        for (Member member : room.get().members()) {
            Peer other = peers.get(member.peerId());
            if (other != null) {
                deliverTo(other, text);
            }
        }
        endOverflowed();
        return true;
    }

    /** Fresh ICE servers for the member of {@code code} whose verified user id is {@code userId}. */
    synchronized Outcome<IceServers> iceServersForUser(String code, String userId, String hostHeader) {
        if (findNow(code).isEmpty()) {
            return Outcome.fail(ErrorCode.ROOM_NOT_FOUND, null);
        }
        for (Peer peer : peers.inRoom(code)) {
            if (userId != null && userId.equals(peer.member.userId())) {
                return Outcome.ok(issue(peer, hostHeader));
            }
        }
        return Outcome.fail(ErrorCode.FORBIDDEN, "join the room first");
    }

    /** This shard's timers that are due: room expiry of its members, resume grace, credential refresh. */
    synchronized void sweep(Instant now) {
        for (Peer peer : peers.due(now)) {
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
            schedule(peer);
        }
        endOverflowed();
    }

    /**
     * Files {@code peer}'s next timer: its room's expiry, and its resume grace while disconnected or its
     * credential refresh while connected. Called wherever one of them changes.
     */
    private void schedule(Peer peer) {
        Instant next = peer.roomExpiresAt;
        Instant own = peer.connection == null ? peer.graceEnds : peer.credentialsRefreshAt;
        if (own != null && (next == null || own.isBefore(next))) {
            next = own;
        }
        peers.schedule(peer, next);
    }

    /** The registry let {@code room} expire: its members here are told. */
    synchronized void ended(Room room, String why) {
        endRoom(room, why, clock.instant());
        endOverflowed();
    }

    /** An operator closed {@code room}: its members here are told, and the other nodes end theirs. */
    synchronized void closedByOperator(Room room) {
        endRoom(room, "the room was closed by the operator", clock.instant());
        if (fanout != RoomFanout.NONE) {
            after(fanout.publish(room.code(), "{\"k\":\"end\"}"), null, null, v -> { });
        }
        endOverflowed();
    }

    /**
     * With a shared registry: renews the presence leases of this shard's members in the rooms of the due
     * {@code turns} ({@link LeaseTurns}). A member of this node that is no longer in its room (its lease lapsed
     * while this node could not reach Redis) is told and removed; members of other nodes whose lease lapsed
     * (their node died) leave the presence of this node's members, and their credentials are revoked here too.
     */
    synchronized void renewLeases(List<Integer> turns, Instant now) {
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

    /** Forgets every peer without presence messages (server shutdown). */
    synchronized void clear() {
        peers.clear();
    }

    synchronized int peerCount() {
        return peers.size();
    }

    /** Removes member {@code peerId} of {@code code} now (an operator's decision); false when there is none. */
    synchronized boolean kick(String code, String peerId) {
        Peer peer = peerId == null ? null : peers.get(peerId);
        if (peer == null || !peer.room.equals(code)) {
            return false;
        }
        Connection c = peer.connection;
        if (c != null) {
            stats.error(ErrorCode.KICKED);
            c.link.send(ServerMessages.error(ErrorCode.KICKED, null, null));
            c.idleSince = clock.instant();
        }
        removePeer(peer);
        endOverflowed();
        return true;
    }

    /** Source addresses of the live signaling connections of {@code roomCode}'s members. */
    synchronized Set<InetAddress> memberAddresses(String roomCode) {
        Set<InetAddress> addresses = new HashSet<>();
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
                peer.connection.idleSince = now;
                outOfRoom(peer.connection);
            }
        }
        unlistenIfEmpty(room.code());
    }

    /**
     * A join of room {@code code} by {@code c}, which is in no room and waits for no other answer, with the
     * identity the hub checked.
     */
    synchronized void join(Connection c, ClientMessage.Join join, String code, Identity identity, Instant now) {
        if (c.closing || !connections.contains(c)) {
            return;
        }
        c.joining = true;
        after(rooms.find(code), c, join.ref(), target -> {
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
            if (seated != null && sameUser && seated.room.equals(code) && target.isPresent()
                    && takeOver(c, seated, join, target.get())) {
                return;
            }
            Member member = new Member(newPeerId(), join.meta(), identity.subject());
            c.joining = true;
            // Subscribed to the room's traffic before taking the seat: a member joining on another node right
            // after this one is seen here.
            after(listen(code), c, join.ref(), subscribed -> {
                c.joining = true;
                after(rooms.join(code, member, now), c, join.ref(), result -> {
                    c.joining = false;
                    joined(c, join, code, member, result);
                    unlistenIfEmpty(code);
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
            if (!attach(c, peer)) {
                after(rooms.leave(code, member.peerId()), null, null, left -> { }); // it closed meanwhile
                return;
            }
            peers.put(peer.id(), peer);
            String secretHash = ResumeTokens.secretHash(ResumeTokens.of(peer));
            after(rooms.saveSeat(peer.id(), new AsyncRoomRegistry.Seat(code, secretHash,
                    join.self(), join.ack(), join.seq()), room.expiresAt()), null, null, v -> { });
            sendJoined(c, peer, room, join.ref(), false, List.of());
            tellOtherNodes(peer.room, "join", member, room);
            List<Member> joins = List.of(member);
            forOthers(peer, room, other -> true,
                    other -> presence(other, seq -> ServerMessages.presenceDiff(joins, List.of(), seq)));
            log.debug("peer {} joined", peer.id());
        }
    }

    /**
     * A resume of {@code peer}, which the hub found by the token of {@code resume}. False when the peer is no
     * longer here: the hub then looks for its seat in the registry, as for a token of another node.
     */
    synchronized boolean resume(Connection c, ClientMessage.Resume resume, Peer peer) {
        if (peers.get(peer.id()) != peer) {
            return false;
        }
        if (c.closing || !connections.contains(c)) {
            return true;
        }
        String userId = peer.member.userId();
        if (userId != null && (c.identity == null || !userId.equals(c.identity.subject()))) {
            // A resume token that leaked to another user's connection does not carry the seat over.
            error(c, ErrorCode.FORBIDDEN, "this peer belongs to another user", resume.ref());
            return true;
        }
        if (peer.recovering != null) {
            error(c, ErrorCode.UNAVAILABLE, "this peer is still moving here; resume again", resume.ref());
            return true;
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
        endOverflowed();
        return true;
    }

    private void resumed(Connection c, ClientMessage.Resume resume, Peer peer, Optional<Room> room) {
        if (room.isEmpty() || room.get().isExpired(clock.instant())) {
            error(c, ErrorCode.ROOM_EXPIRED, null, resume.ref());
            return;
        }
        replaceConnection(peer);
        if (!attach(c, peer)) {
            disconnected(peer, settings.resumeGrace());
            return;
        }
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
     * reconnected through another node) resumes here as the same peer if its seat, which the hub found in
     * the registry for room {@code code} of this shard, is still there (within the lease). Its outbox stayed
     * with the dead node: numbering goes on after what the client has seen, and a sequenced client that says
     * where it is in its inbox ({@code at}) gets what the dead node had not delivered from there
     * ({@link #recoverInbox}).
     */
    synchronized void resumeSeat(Connection c, ClientMessage.Resume resume, String peerId,
                                 AsyncRoomRegistry.Seat seat) {
        String token = resume.token();
        int dot = token.indexOf('.');
        byte[] presented = ResumeTokens.secretHash(token).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = seat.secretHash().getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(presented, expected) || peers.onThisNode(peerId)) {
            c.joining = false;
            error(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
            return;
        }
        String code = seat.room();
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
                        || peers.onThisNode(peerId)) {
                    if (!claimed) {
                        error(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token", resume.ref());
                    }
                    return;
                }
                byte[] secret = Base64.getUrlDecoder().decode(token.substring(dot + 1));
                Peer peer = new Peer(member.get(), code, secret, seat.self(), seat.ack(), seat.seq());
                peer.roomExpiresAt = room.get().expiresAt();
                long seen = resume.seq() == null ? 0 : resume.seq();
                peer.outbox.continueAfter(seen);
                peers.put(peerId, peer);
                Optional<LogPosition> at = LogPosition.parse(resume.at());
                if (!peer.sequenced || at.isEmpty()) {
                    // a client that cannot say what it has seen: what its node had not delivered is lost
                    listen(code);
                    if (!attach(c, peer)) {
                        disconnected(peer, settings.resumeGrace());
                        return;
                    }
                    sendJoined(c, peer, room.get(), resume.ref(), true, List.of());
                    log.debug("peer {} resumed from another node", peerId);
                    return;
                }
                recoverInbox(c, resume, peer, room.get(), seen, at.get());
            });
        });
        endOverflowed();
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
        peer.recovering = new ArrayList<>();
        peer.inboxAt = at;
        schedule(peer);
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
                    if (c.closing || !connections.contains(c) || c.peer != null || !attach(c, peer)) {
                        return; // kept for a resume within the grace
                    }
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
        if (!attach(c, peer)) {
            disconnected(peer, settings.resumeGrace());
            return true;
        }
        peer.self = join.self();
        peer.ack = join.ack();
        peer.sequenced = join.seq();
        peer.outbox.clear();
        peer.buffered.clear();
        peer.received = 0;
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

    private void acknowledge(Connection c, Peer peer, ClientMessage.Ack ack) {
        if (!peer.sequenced) {
            error(c, ErrorCode.BAD_MESSAGE, "ack needs a room joined with config.seq", ack.ref());
        } else if (!peer.outbox.ack(ack.seq())) {
            error(c, ErrorCode.BAD_MESSAGE, "ack of a seq never sent", ack.ref());
        } else {
            forgetAcknowledged(peer);
        }
    }

    /**
     * Lets the peer's inbox in Redis forget the signals its client has acknowledged,
     * {@value SignalingHub#INBOX_TRIM_STEP} at a time (inbox entries are numbered 1, 2, ...): one command per
     * acknowledgement (every 250 ms per busy client) cost Redis more than the signals; the inbox's own bound and
     * the room's expiry cap the rest.
     */
    private void forgetAcknowledged(Peer peer) {
        LogPosition upTo = peer.outbox.takeAcknowledgedInbox();
        if (upTo != null && upTo.millis() - peer.inboxForgotten >= SignalingHub.INBOX_TRIM_STEP) {
            peer.inboxForgotten = upTo.millis();
            after(fanout.acknowledged(peer.room, peer.id(), upTo), null, null, v -> { });
        }
    }

    /**
     * One call's outcome from one member. Counted once per call: the other side reports the same call id and
     * is not counted again. A member may only report calls with a member of its own room, a bounded number
     * per membership, at most one every {@link SignalingHub#CALL_REPORT_INTERVAL}.
     */
    private void callReport(Connection c, Peer peer, ClientMessage.CallReport report) {
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
                || (peer.lastReportAt != null
                        && now.isBefore(peer.lastReportAt.plus(SignalingHub.CALL_REPORT_INTERVAL)))) {
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
    private void presence(Peer other, LongFunction<String> diff) {
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

    private void deliverTo(Peer peer, LongFunction<String> render) {
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

    private void signal(Connection c, Peer peer, ClientMessage.Signal signal) {
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
        LongFunction<String> text =
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
                            LongFunction<String> text, long start) {
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
            return CompletableFuture.completedFuture(null);
        }
        return fanout.subscribe(room).whenComplete((v, failure) -> {
            if (failure != null) {
                synchronized (RoomShard.this) {
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
    synchronized void fromFanout(String room, boolean own, Map<String, LogPosition> recipients, JsonNode message) {
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

    private void leave(Connection c, Peer peer, ClientMessage.Leave leave) {
        c.idleSince = clock.instant();
        removePeer(peer);
        c.link.send(ServerMessages.left(leave.ref(), peer.room));
    }

    /** {@code c}, still open, is in no room now: the hub's sweep closes it after the idle timeout. */
    private void outOfRoom(Connection c) {
        c.peer = null;
        roomless.add(c);
    }

    /** False when {@code c} closed meanwhile: the hub takes its monitor too when it closes (see the class). */
    private boolean attach(Connection c, Peer peer) {
        synchronized (c) {
            if (c.closing) {
                return false;
            }
            c.peer = peer;
        }
        peer.connection = c;
        peer.disconnectedAt = null;
        schedule(peer);
        return true;
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
        c.link.send(ServerMessages.joined(ref, room.code(), room.expiresAt(), peer.id(), ResumeTokens.of(peer),
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
            outOfRoom(peer.connection);
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

    private void forOthers(Peer peer, Room room, Predicate<Peer> when, Consumer<Peer> action) {
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
        schedule(peer);
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
        } while (peers.onThisNode(id));
        return id;
    }

    /** This shard's peer that {@code token} belongs to, or null. */
    private Peer peerFor(String token) {
        return ResumeTokens.find(peers::get, token);
    }

    /**
     * Runs {@code action} under this shard's lock once the registry answered: inline when it already has (the
     * in-memory registry: the caller holds the lock, so the order of events is what it always was), else on
     * the registry's thread. When the registry cannot answer, {@code c} (if any) is told {@code unavailable}.
     */
    private <T> void after(CompletionStage<T> stage, Connection c, JsonNode ref, Consumer<T> action) {
        stage.whenComplete((value, failure) -> {
            synchronized (RoomShard.this) {
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
        c.sendError(stats, code, message, ref);
    }
}
