package dev.turnbridge.signaling.ws;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * A WebSocket's bound for a receiver that stops reading: the bytes written to its channel and not yet taken by
 * the kernel may not pass a bound. A write that would pass it is refused; the caller closes the connection and
 * counts it, instead of buffering in direct memory without limit (memory the relay's data path shares). The
 * relay's stream pipes pause reading at the water mark instead; a signaling sender is not ours to pause.
 *
 * <p>Call on the channel's event loop.
 */
final class OutboundLimit {

    private final long maxPendingBytes;

    OutboundLimit(long maxPendingBytes) {
        if (maxPendingBytes <= 0) {
            throw new IllegalArgumentException("maxPendingBytes: " + maxPendingBytes + " (expected: > 0)");
        }
        this.maxPendingBytes = maxPendingBytes;
    }

    /** Bytes written to the channel and not yet flushed to the socket (0 once it is closed). */
    static long pendingBytes(Channel channel) {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    /** Whether {@code bytes} more may be queued on {@code channel}. */
    boolean admits(Channel channel, long bytes) {
        return pendingBytes(channel) + bytes <= maxPendingBytes;
    }

    long maxPendingBytes() {
        return maxPendingBytes;
    }
}
