package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;
import java.util.function.LongConsumer;

/**
 * The relayed transport address of a TCP allocation (RFC 6062 §5.1): a listening TCP socket on a relay port
 * that also opens connections to peers from that same address. Each connection to or from a peer is a peer
 * data connection named by a CONNECTION-ID until a client data connection binds to it. A TCP allocation has
 * no channels and relays nothing from Send indications ({@link #send} drops).
 */
public interface TcpRelaySocket extends RelaySocket {
    /** RFC 6062 §5.2: a connection to or from {@code peer} exists or is being made (446). */
    boolean hasConnection(InetSocketAddress peer);

    /** Peer data connections held: being made, waiting for ConnectionBind, or bound. */
    int connectionCount();

    /**
     * Opens a TCP connection from the relayed address to {@code peer} (RFC 6062 §5.2). {@code done} runs on the
     * allocation's event loop with the CONNECTION-ID of the new peer data connection, or with -1 when the
     * attempt failed or did not complete within {@link PeerConnections#TIMEOUT_MILLIS} (447).
     */
    void connect(InetSocketAddress peer, LongConsumer done);
}
