package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.util.function.BiConsumer;

/**
 * One request as a handler sees it: where it came from, the allocations of the socket or connection it arrived
 * on, and how to answer. One implementation serves every transport (the transport package's client sessions);
 * handlers never touch sockets.
 */
public interface Exchange {
    FiveTuple fiveTuple();

    /** Allocations of the server socket or connection this request arrived on (event-loop confined). */
    AllocationTable allocations();

    /** Signed responses recently sent to this exchange's clients, for retransmissions. */
    TransactionCache transactions();

    /**
     * Whether the connection or DTLS association this request came on has ended, so that an answer would reach
     * nobody (a UDP server socket serves every client and never does).
     */
    boolean isClosed();

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

    /** The RFC 6062 side of a TCP or TLS client connection; null on UDP and DTLS, which have none. */
    StreamExchange stream();
}
