package dev.turnbridge.signaling.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.ServerMessages;
import java.net.InetAddress;
import java.time.Instant;

/**
 * One WebSocket connection as the hub tracks it: the link out, the Host header it came through (for TURN
 * URIs), the identity its access token proved, and the peer it currently speaks for, if any. The peer, when there is
 * one, is changed under its room's shard lock; the fields are volatile because the hub reads them to find that
 * shard, and its own monitor orders attaching a peer against the connection closing ({@link RoomShard}).
 */
public final class Connection {

    final PeerLink link;
    final String hostHeader;
    /** Who opened it (verified on the upgrade), or null when it carried no verified identity. */
    final Identity identity;
    /** The client's address (strict peers on the relay), or null when unknown. */
    final InetAddress remote;
    volatile Peer peer;
    volatile Instant idleSince;
    volatile boolean closing;
    /** A join or resume waits for the room registry's answer: another one is refused meanwhile. */
    volatile boolean joining;

    Connection(PeerLink link, String hostHeader, Identity identity, InetAddress remote, Instant now) {
        this.link = link;
        this.remote = remote;
        this.hostHeader = hostHeader;
        this.identity = identity;
        this.idleSince = now;
    }

    /** Counts and sends an error. */
    void sendError(SignalingStats stats, ErrorCode code, String message, JsonNode ref) {
        stats.error(code);
        link.send(ServerMessages.error(code, message, ref));
    }
}
