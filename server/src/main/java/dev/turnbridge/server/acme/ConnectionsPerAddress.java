package dev.turnbridge.server.acme;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@code limit} open connections per client IP on the plain-HTTP listener, counted at accept; one over
 * is closed at once, so silent connections from one address cannot pile up. A CA validates from a few
 * addresses with a connection or two each.
 */
@ChannelHandler.Sharable
final class ConnectionsPerAddress extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(ConnectionsPerAddress.class, "ip");

    private final int limit;
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ConnectionsPerAddress(int limit) {
        this.limit = limit;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            InetAddress ip = remote.getAddress();
            boolean[] admitted = {false};
            open.compute(ip, (k, n) -> {
                int count = n == null ? 0 : n;
                admitted[0] = count < limit;
                return admitted[0] ? count + 1 : (n == null ? null : n);
            });
            if (!admitted[0]) {
                ctx.close();
                return;
            }
            ctx.channel().attr(COUNTED).set(ip);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InetAddress ip = ctx.channel().attr(COUNTED).getAndSet(null);
        if (ip != null) {
            open.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
        }
        ctx.fireChannelInactive();
    }

    /** Addresses with open connections (the map's size), for tests. */
    int addresses() {
        return open.size();
    }
}
