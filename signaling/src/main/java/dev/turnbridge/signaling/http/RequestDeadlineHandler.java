package dev.turnbridge.signaling.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time a client has to send a complete HTTP request (head and body): from the connection's start, and
 * again from each final response on a keep-alive connection. Past it the connection is closed, so a client
 * that trickles a byte every few seconds (slowloris) holds nothing for long; an idle timeout alone would
 * be reset by every byte. After a WebSocket upgrade (101) it leaves the pipeline: the heartbeat watchdog
 * takes over. One instance per connection, between the HTTP codec and the aggregator.
 */
public final class RequestDeadlineHandler extends ChannelDuplexHandler {

    private final long millis;
    private final Runnable onExpired;
    private ScheduledFuture<?> deadline;
    private boolean awaitingRequest;

    /** @param onExpired called (on the event loop) when a connection is closed for its deadline */
    public RequestDeadlineHandler(long millis, Runnable onExpired) {
        this.millis = millis;
        this.onExpired = onExpired;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            disarm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response
                && response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            disarm();
            ctx.pipeline().remove(this);
        } else if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse r && r.status().code() < 200)) {
            arm(ctx); // the next request's turn (a 100 Continue does not end this one)
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (awaitingRequest) {
            return;
        }
        awaitingRequest = true;
        deadline = ctx.executor().schedule(() -> {
            if (awaitingRequest && ctx.channel().isActive()) {
                onExpired.run();
                ctx.close();
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        awaitingRequest = false;
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
