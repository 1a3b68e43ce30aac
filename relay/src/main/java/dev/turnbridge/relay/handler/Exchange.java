package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
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
}
