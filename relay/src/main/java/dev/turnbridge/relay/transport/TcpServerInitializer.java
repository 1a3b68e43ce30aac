package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Cidr;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.util.List;
import java.util.Set;

/**
 * The pipeline of one TCP or TLS client connection: the per-address cap, [TLS,] stream framing, then the
 * connection's TURN handler. On a PROXY protocol listener the balancer's header comes first, and the rest is
 * installed once it has named the client. With TLS, the context is fetched per connection so that a reloaded
 * certificate applies to new connections only.
 */
final class TcpServerInitializer extends ChannelInitializer<SocketChannel> {
    private final TurnDispatcher dispatcher;
    private final RelaySockets relaySockets;
    private final TlsCertificate tls;
    private final int maxFrame;
    private final Set<AllocationOwner> owners;
    private final StreamAdmissionHandler admission;
    private final List<Cidr> proxySources;

    /**
     * @param tls          the certificate for a TLS listener, null for plain TCP
     * @param owners       where live connections register for operators' snapshots (the server's set)
     * @param admission    the per-address cap, shared by every stream listener
     * @param proxySources the balancers' ranges for a PROXY protocol listener, null for a direct one
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls, int maxFrame,
            Set<AllocationOwner> owners, StreamAdmissionHandler admission, List<Cidr> proxySources) {
        this.dispatcher = dispatcher;
        this.relaySockets = relaySockets;
        this.tls = tls;
        this.maxFrame = maxFrame;
        this.owners = owners;
        this.admission = admission;
        this.proxySources = proxySources;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (proxySources == null) {
            turnPipeline(ch);
            return;
        }
        long headerMillis = dispatcher.context().settings().listeners().allocationTimeout().toMillis();
        ch.pipeline().addLast("proxy-decoder", new HAProxyMessageDecoder());
        ch.pipeline().addLast("proxy", new ProxyProtocolHandler(proxySources, headerMillis,
                dispatcher.context().stats(), this::turnPipeline));
    }

    private void turnPipeline(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("admission", admission);
        if (tls != null) {
            p.addLast("tls", tls.context().newHandler(ch.alloc()));
            p.addLast("close-notify", CloseNotifyHandler.INSTANCE); // answers close_notify and closes
        }
        p.addLast("framing", new TcpFramingDecoder(maxFrame));
        p.addLast("turn", new TcpConnectionHandler(dispatcher, relaySockets,
                tls != null ? FiveTuple.Transport.TLS : FiveTuple.Transport.TCP, owners));
    }
}
