package dev.turnbridge.relay.transport;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.config.IpLiteral;
import dev.turnbridge.relay.handler.RelayStats;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PROXY protocol v2 header (haproxy.org proxy-protocol.txt §2.2) that an L4 load balancer sends before
 * anything else on a connection, decoded by Netty's {@code HAProxyMessageDecoder} just before this handler.
 * Only balancers in the trusted ranges may send it; a connection from elsewhere, a v1 (text) header, a
 * malformed one or none within the deadline closes the connection (counted). A {@code PROXY} command over
 * TCP names the client, which becomes the connection's client address for the per-address cap, the nonce,
 * the 5-tuple and XOR-MAPPED-ADDRESS; a {@code LOCAL} command (the balancer's own health check) keeps the
 * balancer's address. Then the TURN pipeline is installed, sees the connection become active, and reads the
 * bytes after the header (the TLS handshake, or STUN).
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);
    private static final AttributeKey<InetSocketAddress> CLIENT = AttributeKey.valueOf(ProxyProtocolHandler.class, "client");

    private final List<Cidr> sources;
    private final long deadlineMillis;
    private final RelayStats stats;
    private final Consumer<Channel> turnPipeline;
    private ScheduledFuture<?> deadline;
    private boolean refused;

    /**
     * @param sources       the balancers' ranges ({@code listeners.proxy-protocol-sources})
     * @param deadlineMillis time the header has to arrive
     * @param turnPipeline  adds the handlers that serve the connection once its client is known
     */
    ProxyProtocolHandler(List<Cidr> sources, long deadlineMillis, RelayStats stats, Consumer<Channel> turnPipeline) {
        this.sources = sources;
        this.deadlineMillis = deadlineMillis;
        this.stats = stats;
        this.turnPipeline = turnPipeline;
    }

    /** The client of a connection: the one its PROXY header named, else its peer. */
    static InetSocketAddress clientOf(Channel channel) {
        InetSocketAddress client = channel.attr(CLIENT).get();
        return client != null ? client : (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (sources.stream().noneMatch(c -> c.contains(peer.getAddress()))) {
            refuse(ctx, "connection from outside listeners.proxy-protocol-sources");
            return;
        }
        deadline = ctx.executor().schedule(() -> refuse(ctx, "no PROXY header in time"), deadlineMillis,
                TimeUnit.MILLISECONDS);
        // the TURN handlers see channelActive once the header has named the client
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            refuse(ctx, "data before the PROXY header");
            return;
        }
        InetSocketAddress client;
        try {
            if (header.protocolVersion() != HAProxyProtocolVersion.V2) {
                refuse(ctx, "PROXY protocol v1 (only v2 is accepted)");
                return;
            }
            if (header.command() == HAProxyCommand.LOCAL) {
                client = null;
            } else if (header.proxiedProtocol() == HAProxyProxiedProtocol.TCP4
                    || header.proxiedProtocol() == HAProxyProxiedProtocol.TCP6) {
                client = new InetSocketAddress(IpLiteral.address(header.sourceAddress()), header.sourcePort());
            } else {
                refuse(ctx, "PROXY header for " + header.proxiedProtocol() + ", not TCP");
                return;
            }
        } catch (IllegalArgumentException e) {
            refuse(ctx, "PROXY header with a bad source address");
            return;
        } finally {
            header.release();
        }
        cancelDeadline();
        Channel channel = ctx.channel();
        if (client != null) {
            channel.attr(CLIENT).set(client);
        }
        turnPipeline.accept(channel);
        ctx.pipeline().remove(this);
        channel.pipeline().fireChannelActive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        refuse(ctx, "malformed PROXY header");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadline();
        ctx.fireChannelInactive();
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        cancelDeadline();
        if (!refused) { // the decoder may have closed the channel itself before telling us why
            refused = true;
            stats.proxyHeaderRefused.increment();
            log.debug("PROXY protocol connection from {} closed: {}", ctx.channel().remoteAddress(), why);
        }
        ctx.close();
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
