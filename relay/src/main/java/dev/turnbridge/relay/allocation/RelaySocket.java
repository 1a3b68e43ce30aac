package dev.turnbridge.relay.allocation;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The relayed transport address of an allocation (RFC 8656 §2.2) as the domain sees it. The transport
 * layer supplies the implementation; the only Netty type here is the payload buffer, so relayed data is
 * never copied into an intermediate array.
 */
public interface RelaySocket {
    /** The address the socket is bound to (port and local IP). */
    InetSocketAddress localAddress();

    /** Starts delivering packets from peers to {@code allocation}'s client. */
    void start(Allocation allocation);

    /**
     * Queues {@code payload} for {@code peer}, taking ownership of the buffer; nothing leaves before
     * {@link #flush()}, so a batch of packets read together goes out in one system call where the
     * transport can (sendmmsg).
     */
    void send(ByteBuf payload, InetSocketAddress peer);

    /** Sends what {@link #send} queued (nothing to do for sockets that send at once). */
    default void flush() {
    }

    void close();
}
