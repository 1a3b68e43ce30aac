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
    private final int maxFrame;
    private final Set<AllocationOwner> owners;

    /**
     * @param tls    the certificate for a TLS listener, null for plain TCP
     * @param owners where live connections register for operators' snapshots (the server's set)
     */
    TcpServerInitializer(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate tls, int maxFrame,
            Set<AllocationOwner> owners) {
        this.dispatcher = dispatcher;
        this.relaySockets = relaySockets;
        this.tls = tls;
        this.maxFrame = maxFrame;
        this.owners = owners;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.context().newHandler(ch.alloc()));
            p.addLast("close-notify", CloseNotifyHandler.INSTANCE); // answers close_notify and closes
        }
        p.addLast("framing", new TcpFramingDecoder(maxFrame));
        p.addLast("turn", new TcpConnectionHandler(dispatcher, relaySockets,
                tls != null ? FiveTuple.Transport.TLS : FiveTuple.Transport.TCP, owners));
    }
}
