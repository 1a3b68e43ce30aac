package dev.turnbridge.signaling.ws;

import dev.turnbridge.signaling.session.PeerLink;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@link PeerLink} over a WebSocket channel. Every write goes through the channel's task queue, even from its
 * own event loop, so messages leave in the order the hub produced them (the hub calls under its lock). The
 * frame is created inside the task: if the loop is gone, no buffer was ever allocated.
 */
final class ChannelPeerLink implements PeerLink {

    private final Channel channel;

    ChannelPeerLink(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void send(String text) {
        submit(() -> {
            if (channel.isActive()) {
                channel.writeAndFlush(new TextWebSocketFrame(text));
            }
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
