package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.handler.RelayStats;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;

/**
 * The per-address cap on TCP/TLS client connections ({@code listeners.connections-per-ip}), applied when a
 * connection becomes active, before a TLS handshake or a byte of STUN costs anything: one over the cap is
 * closed at once and counted. The address is the client's ({@link ProxyProtocolHandler#clientOf}), so behind a
 * PROXY protocol balancer it is the one the header names, not the balancer's.
 */
@ChannelHandler.Sharable
final class StreamAdmissionHandler extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf(StreamAdmissionHandler.class, "ip");

    private final ConnectionsPerAddress connections;
    private final RelayStats stats;

    StreamAdmissionHandler(ConnectionsPerAddress connections, RelayStats stats) {
        this.connections = connections;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = ProxyProtocolHandler.clientOf(ctx.channel()).getAddress();
        if (!connections.tryAcquire(client)) {
            stats.streamConnectionsRefused.increment();
            ctx.close();
            return;
        }
        ctx.channel().attr(COUNTED).set(client);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InetAddress client = ctx.channel().attr(COUNTED).getAndSet(null);
        if (client != null) {
            connections.release(client);
        }
        ctx.fireChannelInactive();
    }
}
