package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.room.Member;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * A room member on this server: its identity, resume secret and delivery state. It outlives its connection
 * by the resume grace; signals meant for it meanwhile wait in a bounded buffer. Guarded by the hub's lock.
 */
final class Peer {

    /** Signals kept for a disconnected peer; older ones are dropped first. */
    static final int BUFFER_LIMIT = 128;

    final Member member;
    final String room;
    final byte[] tokenSecret;
    final boolean self;
    final boolean ack;
    final ArrayDeque<String> buffered = new ArrayDeque<>();
    Connection connection;
    Instant disconnectedAt;
    Instant credentialsRefreshAt;

    Peer(Member member, String room, byte[] tokenSecret, boolean self, boolean ack) {
        this.member = member;
        this.room = room;
        this.tokenSecret = tokenSecret;
        this.self = self;
        this.ack = ack;
    }

    String id() {
        return member.peerId();
    }

    /** Sends now, or buffers while the peer is between connections. */
    void deliver(String text) {
        if (connection != null) {
            connection.link.send(text);
        } else {
            if (buffered.size() >= BUFFER_LIMIT) {
                buffered.removeFirst();
            }
            buffered.addLast(text);
        }
    }
}
