package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import java.util.Set;

/**
 * The pipeline of one TCP or TLS client connection: [TLS,] stream framing, then the connection's TURN
 * handler. With TLS, the context is fetched per connection so that a reloaded certificate applies to new
 * connections only.
 */
final class TcpServerInitializer extends ChannelInitializer<SocketChannel> {
    private final TurnDispatcher dispatcher;
    private final RelaySockets relaySockets;
    private final TlsCertificate tls;
    private final FiveTuple.Transport transport;
    private final int maxFrame;
    private final Set<AllocationOwner> owners;

    /**
     * @param tls    the certificate for a TLS listener, null for plain TCP
     * @param owners where live connections register for operators' snapshots (the server's set)
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls, int maxFrame,
            Set<AllocationOwner> owners) {
        this(dispatcher, relaySockets, tls, tls != null ? FiveTuple.Transport.TLS : FiveTuple.Transport.TCP,
                maxFrame, owners);
    }

    /**
     * @param tls       the certificate when this pipeline does the handshake, null for plain TCP or when TLS is
     *                  already done (a shared port's connection routed here by {@link ProtocolRouter})
     * @param transport the 5-tuple's transport: TLS for a routed connection too
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls,
            FiveTuple.Transport transport, int maxFrame, Set<AllocationOwner> owners) {
        this.dispatcher = dispatcher;
        this.relaySockets = relaySockets;
        this.tls = tls;
        this.transport = transport;
        this.maxFrame = maxFrame;
        this.owners = owners;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.context().newHandler(ch.alloc()));
        }
        p.addLast("framing", new TcpFramingDecoder(maxFrame));
        p.addLast("turn", new TcpConnectionHandler(dispatcher, relaySockets, transport, owners));
    }
}
