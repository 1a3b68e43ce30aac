package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;

/**
 * A peer data connection of a TCP allocation (RFC 6062 §2) as ConnectionBind sees it while it waits for a
 * client data connection. The transport supplies the implementation.
 */
public interface PeerConnection {
    /** The user whose allocation holds it; only that user's ConnectionBind may claim it. */
    String username();

    /** The peer's transport address. */
    InetSocketAddress peer();
}
