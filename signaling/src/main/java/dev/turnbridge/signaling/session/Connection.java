package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.access.Identity;
import java.net.InetAddress;
import java.time.Instant;

/**
 * One WebSocket connection as the hub tracks it: the link out, the Host header it came through (for TURN
 * URIs), the identity its access token proved, and the peer it currently speaks for, if any. Fields are guarded by the hub's lock.
 */
public final class Connection {

    final PeerLink link;
    final String hostHeader;
    /** Who opened it (verified on the upgrade), or null when it carried no verified identity. */
    final Identity identity;
    /** The client's address (strict peers on the relay), or null when unknown. */
    final InetAddress remote;
    Peer peer;
    Instant idleSince;
    boolean closing;
    /** A join or resume waits for the room registry's answer: another one is refused meanwhile. */
    boolean joining;

    Connection(PeerLink link, String hostHeader, Identity identity, InetAddress remote, Instant now) {
        this.link = link;
        this.remote = remote;
        this.hostHeader = hostHeader;
        this.identity = identity;
        this.idleSince = now;
    }
}
