package dev.turnbridge.signaling.session;

import java.time.Instant;

/**
 * One WebSocket connection as the hub tracks it: the link out, the Host header it came through (for TURN
 * URIs), and the peer it currently speaks for, if any. Fields are guarded by the hub's lock.
 */
public final class Connection {

    final PeerLink link;
    final String hostHeader;
    Peer peer;
    Instant idleSince;
    boolean closing;

    Connection(PeerLink link, String hostHeader, Instant now) {
        this.link = link;
        this.hostHeader = hostHeader;
        this.idleSince = now;
    }
}
