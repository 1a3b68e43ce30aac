package dev.turnbridge.signaling.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Works out each request's client address ({@link TrustedProxies}) and keeps it on the channel for the
 * per-address limits further on. On a connection from a trusted proxy, its first request also counts the
 * connection against that client ({@link ConnectionLimitHandler#admit}). One instance per connection.
 */
public final class ClientAddressHandler extends ChannelInboundHandlerAdapter {

    private static final String FORWARDED = "forwarded";
    private static final String X_FORWARDED_FOR = "x-forwarded-for";
    private static final AttributeKey<InetAddress> CLIENT = AttributeKey.valueOf(ClientAddressHandler.class, "client");

    private final TrustedProxies proxies;
    private final ConnectionLimitHandler limit;

    public ClientAddressHandler(TrustedProxies proxies, ConnectionLimitHandler limit) {
        this.proxies = proxies;
        this.limit = limit;
    }

    /** The client of the request being handled on {@code channel}: the forwarded one, else the peer. */
    public static InetAddress clientOf(Channel channel) {
        InetAddress client = channel.attr(CLIENT).get();
        if (client == null && channel.remoteAddress() instanceof InetSocketAddress remote) {
            return remote.getAddress();
        }
        return client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            InetAddress peer = remote.getAddress();
            InetAddress client = proxies.client(peer, request.headers().getAll(FORWARDED),
                    request.headers().getAll(X_FORWARDED_FOR));
            ctx.channel().attr(CLIENT).set(client);
            if (proxies.trusts(peer)) {
                limit.admit(ctx.channel(), client);
            }
        }
        ctx.fireChannelRead(msg);
    }
}
