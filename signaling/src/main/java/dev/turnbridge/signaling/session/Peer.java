package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.room.LogPosition;
import dev.turnbridge.signaling.room.Member;
import dev.turnbridge.signaling.room.RoomFanout;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * A room member on this server: its identity, resume secret and delivery state. It outlives its connection
 * by the resume grace. A peer that joined with {@code seq} gets numbered messages kept in its {@link Outbox}
 * until acknowledged; an older client gets the v1 behaviour (a bounded buffer only while disconnected).
 * Guarded by the lock of its room's {@link RoomShard}.
 */
final class Peer {

    /** v1 clients: signals kept for a disconnected peer; older ones are dropped first. */
    static final int BUFFER_LIMIT = 128;
    /** Distinct calls one member may report in its membership (each counted at most once). */
    static final int CALL_REPORTS_MAX = 16;

    /** Replaced when the member changes what it shows in presence ({@link SignalingHub#track}). */
    Member member;
    final String room;
    final byte[] tokenSecret;
    boolean self;
    boolean ack;
    boolean sequenced;
    final ArrayDeque<String> buffered = new ArrayDeque<>();
    final Outbox outbox = new Outbox();
    /** The highest client sequence number accepted: a resent signal at or below it is a duplicate. */
    long received;
    final Set<String> reportedCalls = new HashSet<>();
    Instant lastReportAt;
    Connection connection;
    Instant disconnectedAt;
    /** When a disconnected peer is removed unless it resumes. */
    Instant graceEnds;
    Instant credentialsRefreshAt;
    /** When its room expires (a shared registry lets rooms expire by themselves; this node ends its members). */
    Instant roomExpiresAt;
    /** With other nodes: the last position of its inbox delivered to it here, or null before the first. */
    LogPosition inboxAt;
    /** The inbox position up to which Redis was told to forget (acknowledged by the client). */
    long inboxForgotten;
    /** While its inbox is read after a move from another node: signals that arrived meanwhile, else null. */
    List<RoomFanout.Entry> recovering;
    /** Its entry among its shard's timers ({@link LocalPeers#schedule}), or null. */
    LocalPeers.Timer timer;

    Peer(Member member, String room, byte[] tokenSecret, boolean self, boolean ack, boolean sequenced) {
        this.member = member;
        this.room = room;
        this.tokenSecret = tokenSecret;
        this.self = self;
        this.ack = ack;
        this.sequenced = sequenced;
    }

    String id() {
        return member.peerId();
    }

    /**
     * Sends now (or keeps for a resume) one message rendered with its sequence number (0 for v1 peers).
     * False when a sequenced peer's outbox is full: the hub must end that peer.
     */
    boolean deliver(LongFunction<String> render) {
        return deliver(render, null);
    }

    /** The same for a signal at position {@code at} of its inbox in Redis, forgotten there once acknowledged. */
    boolean deliver(LongFunction<String> render, LogPosition at) {
        if (sequenced) {
            String text = outbox.add(render, at);
            if (text == null) {
                return false;
            }
            if (connection != null) {
                connection.link.send(text);
            }
            return true;
        }
        String text = render.apply(0);
        if (connection != null) {
            connection.link.send(text);
        } else {
            if (buffered.size() >= BUFFER_LIMIT) {
                buffered.removeFirst();
            }
            buffered.addLast(text);
        }
        return true;
    }
}
