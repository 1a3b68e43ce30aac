package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerConnection;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.util.function.BiConsumer;

/**
 * One request as a handler sees it: where it came from, the allocations of the socket it arrived on, and
 * how to answer. The transport implements it; handlers never touch sockets.
 */
public interface Exchange {
    FiveTuple fiveTuple();

    /** Allocations of the server socket this request arrived on (event-loop confined). */
    AllocationTable allocations();

    /** Signed responses recently sent from this server socket, for retransmissions. */
    TransactionCache transactions();

    /**
     * Whether the connection or DTLS association this request came on has ended, so that an answer would reach
     * nobody (a UDP server socket serves every client and never does).
     */
    default boolean isClosed() {
        return false;
    }

    /** Sends an already encoded message again (a cached response to a retransmitted request). */
    void resend(byte[] encoded);

    /**
     * Sends {@code response}, signed with {@code integrityKey} when non-null; signed responses are also
     * remembered so that a retransmitted request gets the same answer (RFC 8656 §7.2, RFC 8489 §6.3.1).
     */
    void respond(StunMessageBuilder response, byte[] integrityKey);

    /**
     * Binds a relay socket on {@code ip:port} and calls {@code done} on this exchange's event loop with the
     * socket, or with the failure.
     */
    void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done);

    /**
     * The RFC 6062 state of the server when this exchange is a TCP or TLS connection, which alone may carry
     * TCP allocations and ConnectionBind (RFC 6062 §5.1, §5.4); null on UDP and DTLS.
     */
    default PeerConnections peerConnections() {
        return null;
    }

    /**
     * Binds a listening TCP relay socket (RFC 6062 §5.1) on {@code ip:port}; as {@link #openRelaySocket}. Only
     * exchanges with {@link #peerConnections()} support it.
     */
    default void openTcpRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
        done.accept(null, new UnsupportedOperationException("TCP relay needs a TCP or TLS client connection"));
    }

    /**
     * RFC 6062 §5.4: sends {@code response} (signed with {@code integrityKey}), after which this connection is
     * the client data connection of {@code peer}: bytes pass as they are both ways, without STUN framing, and
     * each connection closes with the other. Only exchanges with {@link #peerConnections()} support it.
     */
    default void becomeDataConnection(PeerConnection peer, StunMessageBuilder response, byte[] integrityKey) {
        throw new UnsupportedOperationException("ConnectionBind needs a TCP or TLS client connection");
    }
}
