package dev.turnbridge.signaling.http;

import dev.turnbridge.signaling.limit.ConnectionLimiter;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.session.SignalingStats;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Counts connections per client IP, at accept: a connection over the limit is closed before it costs more
 * than a descriptor (counted as a {@code rate_limited} error), so silent connections cannot pile up. A
 * connection from a trusted proxy is counted instead against the client its first request names
 * ({@link ClientAddressHandler} calls {@link #admit}); over the limit, it is marked so that
 * {@link HttpGateHandler} answers that request with 429 {@code rate_limited} and closes.
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    static final AttributeKey<Boolean> OVER_LIMIT = AttributeKey.valueOf(ConnectionLimitHandler.class, "overLimit");
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(ConnectionLimitHandler.class, "ip");

    private final ConnectionLimiter limiter;
    private final TrustedProxies proxies;
    private final SignalingStats stats;

    public ConnectionLimitHandler(ConnectionLimiter limiter, TrustedProxies proxies, SignalingStats stats) {
        this.limiter = limiter;
        this.proxies = proxies;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote
                && !proxies.trusts(remote.getAddress()) && !count(ctx.channel(), remote.getAddress())) {
            stats.error(ErrorCode.RATE_LIMITED);
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }

    /**
     * Counts a proxied connection against {@code client} once; false (and the connection marked) when that
     * client is at its limit.
     */
    boolean admit(Channel channel, InetAddress client) {
        if (channel.attr(COUNTED).get() != null || count(channel, client)) {
            return true;
        }
        channel.attr(OVER_LIMIT).set(Boolean.TRUE);
        return false;
    }

    private boolean count(Channel channel, InetAddress ip) {
        if (!limiter.tryAcquire(ip)) {
            return false;
        }
        channel.attr(COUNTED).set(ip);
        if (!channel.isActive()) { // closed meanwhile: channelInactive may have run before the mark
            release(channel);
        }
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release(ctx.channel());
        ctx.fireChannelInactive();
    }

    private void release(Channel channel) {
        InetAddress ip = channel.attr(COUNTED).getAndSet(null);
        if (ip != null) {
            limiter.release(ip);
        }
    }
}
