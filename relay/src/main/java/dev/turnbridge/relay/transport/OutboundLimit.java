package dev.turnbridge.relay.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * The one rule for a receiver that stops reading, for every connection that writes more than it was asked for
 * (signaling WebSockets, relayed streams): the bytes queued on its channel and not yet taken by the kernel may
 * not pass a bound. A write that would pass it is refused; the caller closes the connection and counts it,
 * instead of buffering in direct memory without limit (the same memory the relay's data path uses).
 *
 * <p>Call on the channel's event loop. A forwarding pipe may pause reading at the water mark first
 * ({@code setAutoRead(false)}, as {@link StreamPipeHandler} does); this bound is what holds when the sender is
 * not ours to pause.
 */
public final class OutboundLimit {

    private final long maxPendingBytes;

    public OutboundLimit(long maxPendingBytes) {
        if (maxPendingBytes <= 0) {
            throw new IllegalArgumentException("maxPendingBytes: " + maxPendingBytes + " (expected: > 0)");
        }
        this.maxPendingBytes = maxPendingBytes;
    }

    /** Bytes written to the channel and not yet flushed to the socket (0 once it is closed). */
    public static long pendingBytes(Channel channel) {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    /** Whether {@code bytes} more may be queued on {@code channel}. */
    public boolean admits(Channel channel, long bytes) {
        return pendingBytes(channel) + bytes <= maxPendingBytes;
    }

    public long maxPendingBytes() {
        return maxPendingBytes;
    }
}
