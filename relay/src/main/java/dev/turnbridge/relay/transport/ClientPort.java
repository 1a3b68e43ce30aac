package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.StreamExchange;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;

/**
 * What a transport gives {@link ClientSessions}: the way to its clients. A UDP server socket serves many
 * clients through one port; a TCP/TLS connection and a DTLS association serve one. The framing (datagrams,
 * RFC 8656 §12.5 stream framing, DTLS records) stays with the transport, which hands each whole message to
 * {@link ClientSessions#received}.
 */
interface ClientPort {
    /** The event loop every session of this port lives on; null before the channel is registered. */
    EventLoop eventLoop();

    /** The 5-tuple of a client of this port. */
    FiveTuple fiveTuple(InetSocketAddress client);

    /** Sends one encoded STUN message (an answer) to {@code client}. */
    void send(InetSocketAddress client, byte[] encoded);

    /** True once the connection or association has ended (never on a UDP server socket). */
    boolean isClosed();

    /** The way back to {@code client} for its relay sockets' data. */
    ClientLink link(InetSocketAddress client);

    /** The RFC 6062 side of a TCP/TLS connection; null on UDP and DTLS. */
    StreamExchange stream();
}
