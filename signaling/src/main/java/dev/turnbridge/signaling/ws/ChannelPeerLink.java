package dev.turnbridge.signaling.ws;

import dev.turnbridge.relay.transport.OutboundLimit;
import dev.turnbridge.signaling.session.CloseCodes;
import dev.turnbridge.signaling.session.PeerLink;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.AttributeKey;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link PeerLink} over a WebSocket channel. Every write goes through the channel's task queue, even from its
 * own event loop, so messages leave in the order the hub produced them (the hub calls under its lock). The
 * frame is created inside the task: if the loop is gone, no buffer was ever allocated.
 *
 * <p>A client that stops reading is closed with {@link CloseCodes#SLOW_READER} once its queued bytes would
 * pass the {@link OutboundLimit}, and counted; nothing more is queued for it.
 */
final class ChannelPeerLink implements PeerLink {

    /** Set once the channel is being closed for not reading: later writes are dropped. */
    private static final AttributeKey<Boolean> SLOW = AttributeKey.valueOf(ChannelPeerLink.class, "slow");
    /** How long the close frame may take before the connection is cut regardless. */
    private static final long CLOSE_GRACE_MILLIS = 1000;

    private final Channel channel;
    private final OutboundLimit limit;
    private final LongAdder slowReaders;

    ChannelPeerLink(Channel channel, OutboundLimit limit, LongAdder slowReaders) {
        this.channel = channel;
        this.limit = limit;
        this.slowReaders = slowReaders;
    }

    @Override
    public void send(String text) {
        submit(() -> {
            if (!channel.isActive() || Boolean.TRUE.equals(channel.attr(SLOW).get())) {
                return;
            }
            // UTF-8 takes at least one byte per char: the estimate never lets more through than the bound.
            if (!limit.admits(channel, text.length())) {
                channel.attr(SLOW).set(true);
                slowReaders.increment();
                channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.SLOW_READER, "not reading"))
                        .addListener(ChannelFutureListener.CLOSE);
                channel.eventLoop().schedule(() -> {
                    channel.close();
                }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            // Encoded straight into a buffer from the channel's (pooled, direct) allocator: the String
            // constructor would go through an unpooled heap copy that the transport copies again to write it.
            channel.writeAndFlush(new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), text)));
        });
    }

    @Override
    public void close(int code, String reason) {
        submit(() -> {
            if (channel.isActive()) {
                channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    private void submit(Runnable task) {
        try {
            channel.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            // Event loop shutting down: the connection goes with it.
        }
    }
}
