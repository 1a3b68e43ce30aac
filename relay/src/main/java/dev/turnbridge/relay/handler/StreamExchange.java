package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.util.function.BiConsumer;

/**
 * What only a TCP or TLS client connection can do (RFC 6062): hold a TCP allocation, and turn into a client
 * data connection by ConnectionBind (§5.1, §5.4). {@link Exchange#stream()} gives it, or null on UDP and DTLS.
 */
public interface StreamExchange {
    /** The server's RFC 6062 state, shared across event loops. */
    PeerConnections<?> peerConnections();

    /**
     * Binds a listening TCP relay socket (RFC 6062 §5.1) on {@code ip:port}; {@code done} runs on the exchange's
     * event loop with the socket, or with the failure.
     */
    void openTcpRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done);

    /**
     * RFC 6062 §5.4: claims the peer data connection {@code connectionId} of {@code username}'s allocation and
     * sends {@code response} (signed with {@code integrityKey}), after which this connection is its client data
     * connection: bytes pass as they are both ways, without STUN framing, and each connection closes with the
     * other. False, with nothing sent, when no such connection waits (unknown, timed out, already bound, or
     * another user's).
     */
    boolean becomeDataConnection(long connectionId, String username, StunMessageBuilder response,
            byte[] integrityKey);
}
