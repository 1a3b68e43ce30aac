package dev.turnbridge.signaling.http;

import dev.turnbridge.signaling.limit.ConnectionLimiter;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Counts connections per client IP. A connection over the limit is not closed at once but marked, so that
 * {@link HttpGateHandler} can answer its first request with 429 {@code rate_limited} the client can read.
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    static final AttributeKey<Boolean> OVER_LIMIT = AttributeKey.valueOf(ConnectionLimitHandler.class, "overLimit");
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(ConnectionLimitHandler.class, "ip");

    private final ConnectionLimiter limiter;

    public ConnectionLimitHandler(ConnectionLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            InetAddress ip = remote.getAddress();
            if (limiter.tryAcquire(ip)) {
                ctx.channel().attr(COUNTED).set(ip);
            } else {
                ctx.channel().attr(OVER_LIMIT).set(Boolean.TRUE);
            }
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InetAddress ip = ctx.channel().attr(COUNTED).getAndSet(null);
        if (ip != null) {
            limiter.release(ip);
        }
        ctx.fireChannelInactive();
    }
}
