package dev.turnbridge.signaling.ws;

import dev.turnbridge.signaling.session.CloseCodes;
import dev.turnbridge.signaling.session.PeerLink;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link PeerLink} over a WebSocket channel. Messages join one queue per connection in the order the hub
 * produced them (it calls under its lock), from whatever thread; one task at a time on the channel's event
 * loop writes what has gathered and flushes once. A busy room so costs its members' loops one task and one
 * system call per batch rather than per message. Frames are created by that task: if the loop is gone, no
 * buffer was ever allocated.
 *
 * <p>A client that stops reading is closed with {@link CloseCodes#SLOW_READER} once its queued bytes would
 * pass the {@link OutboundLimit}, and counted; nothing more is written to it.
 */
final class ChannelPeerLink implements PeerLink {

    /** How long the close frame may take before the connection is cut regardless. */
    private static final long CLOSE_GRACE_MILLIS = 1000;
    /** Messages one task writes before it lets the loop read again (the rest go in the next task). */
    static final int BATCH = 256;

    private record Close(int code, String reason) {
    }

    private final Channel channel;
    private final OutboundLimit limit;
    private final LongAdder slowReaders;
    private final Queue<Object> queued = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable writeQueued = this::writeQueued;
    /** Set on the event loop once a close went out (ours or for not reading): later messages are dropped. */
    private boolean closed;

    ChannelPeerLink(Channel channel, OutboundLimit limit, LongAdder slowReaders) {
        this.channel = channel;
        this.limit = limit;
        this.slowReaders = slowReaders;
    }

    @Override
    public void send(String text) {
        enqueue(text);
    }

    @Override
    public void close(int code, String reason) {
        enqueue(new Close(code, reason));
    }

    private void enqueue(Object item) {
        queued.add(item);
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(writeQueued);
            } catch (RejectedExecutionException e) {
                queued.clear(); // event loop shutting down: the connection goes with it
            }
        }
    }

    private void writeQueued() {
        scheduled.set(false);
        boolean written = false;
        Object item;
        for (int n = 0; n < BATCH && (item = queued.poll()) != null; n++) {
            if (closed || !channel.isActive()) {
                continue;
            }
            if (item instanceof Close close) {
                closed = true;
                channel.writeAndFlush(new CloseWebSocketFrame(close.code(), close.reason()))
                        .addListener(ChannelFutureListener.CLOSE);
                continue;
            }
            String text = (String) item;
            // UTF-8 takes at least one byte per char: the estimate never lets more through than the bound.
            if (!limit.admits(channel, text.length())) {
                closeSlowReader();
                continue;
            }
            // Encoded straight into a buffer from the channel's (pooled, direct) allocator: the String
            // constructor would go through an unpooled heap copy that the transport copies again to write it.
            channel.write(new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), text)), channel.voidPromise());
            written = true;
        }
        if (written) {
            channel.flush();
        }
        if (!queued.isEmpty()) {
            schedule();
        }
    }

    private void closeSlowReader() {
        closed = true;
        slowReaders.increment();
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.SLOW_READER, "not reading"))
                .addListener(ChannelFutureListener.CLOSE);
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }
}
