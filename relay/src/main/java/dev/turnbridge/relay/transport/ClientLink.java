package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The way back to one client for data from its peers: a datagram to the client's address on the UDP server
 * socket, or a write on the client's TCP/TLS connection. Called on the client's event loop only.
 */
interface ClientLink {
    /** True on TCP/TLS, where ChannelData is padded to a multiple of four (RFC 8656 §12.5). */
    boolean isStream();

    /** False while the client cannot take more (a full write buffer): the caller drops instead of queueing. */
    boolean isWritable();

    ByteBufAllocator alloc();

    /** Queues one framed message (ChannelData or a Data indication), taking ownership of it. */
    void send(ByteBuf message);

    /** Sends what {@link #send} queued; called once per batch of peer packets read. */
    void flush();
}
