package dev.turnbridge.relay.transport;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The pipeline of one TCP or TLS client connection: the per-address cap, [TLS,] stream framing, then the
 * connection's TURN handler. On a PROXY protocol listener the balancer's header comes first, and the rest is
 * installed once it has named the client. With TLS, the context is fetched per connection so that a reloaded
 * certificate applies to new connections only. On a port shared with HTTPS, a {@link ProtocolRouter} after TLS
 * installs either the framing and TURN handler or signaling's HTTP pipeline; everything before it (cap, PROXY
 * header, TLS, close_notify) is the TLS listener's own.
 */
final class TcpServerInitializer extends ChannelInitializer<SocketChannel> {
    /** A shared-port connection that has not sent its first bytes by then is closed (as long as a handshake). */
    static final long SHARED_ROUTE_MILLIS = 10_000;

    private final TurnDispatcher dispatcher;
    private final RelaySockets relaySockets;
    private final TlsCertificate tls;
    private final int maxFrame;
    private final Set<AllocationOwner> owners;
    private final StreamAdmissionHandler admission;
    private final List<Cidr> proxySources;
    private final Supplier<ChannelHandler> sharedHttp;

    /**
     * @param tls          the certificate for a TLS listener, null for plain TCP
     * @param owners       where live connections register for operators' snapshots (the server's set)
     * @param admission    the per-address cap, shared by every stream listener
     * @param proxySources the balancers' ranges for a PROXY protocol listener, null for a direct one
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls, int maxFrame,
            Set<AllocationOwner> owners, StreamAdmissionHandler admission, List<Cidr> proxySources) {
        this(dispatcher, relaySockets, tls, maxFrame, owners, admission, proxySources, null);
    }

    /**
     * @param sharedHttp for a TLS port shared with HTTPS: gives signaling's HTTP pipeline (without TLS) per
     *                   connection, or null while signaling is not up; null for a TURN-only listener
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls, int maxFrame,
            Set<AllocationOwner> owners, StreamAdmissionHandler admission, List<Cidr> proxySources,
            Supplier<ChannelHandler> sharedHttp) {
        if (sharedHttp != null && tls == null) {
            throw new IllegalArgumentException("a shared port is a TLS listener");
        }
        this.dispatcher = dispatcher;
        this.relaySockets = relaySockets;
        this.tls = tls;
        this.maxFrame = maxFrame;
        this.owners = owners;
        this.admission = admission;
        this.proxySources = proxySources;
        this.sharedHttp = sharedHttp;
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
            TlsCertificate.Alpn alpn = sharedHttp != null ? TlsCertificate.Alpn.SHARED : TlsCertificate.Alpn.TURN;
            p.addLast("tls", tls.newHandler(alpn, ch.alloc()));
            p.addLast("close-notify", CloseNotifyHandler.INSTANCE); // answers close_notify and closes
        }
        if (sharedHttp != null) {
            ChannelHandler turn = new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel routed) {
                    turnHandlers(routed.pipeline());
                }
            };
            p.addLast("route", new ProtocolRouter(turn, sharedHttp, SHARED_ROUTE_MILLIS));
        } else {
            turnHandlers(p);
        }
    }

    private void turnHandlers(ChannelPipeline p) {
        p.addLast("framing", new TcpFramingDecoder(maxFrame));
        p.addLast("turn", new TcpConnectionHandler(dispatcher, relaySockets,
                tls != null ? FiveTuple.Transport.TLS : FiveTuple.Transport.TCP, owners));
    }
}
