package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.StreamExchange;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's TCP or TLS connection (RFC 8656 §3.1): every frame {@link TcpFramingDecoder} cut is either
 * relayed (ChannelData, Send indications) or dispatched as a request, through this connection's
 * {@link ClientSessions}. The connection is the 5-tuple, so it holds at most one allocation, and the allocation
 * ends when the connection does. Peers of a UDP allocation are reached over UDP and their data comes back on
 * this connection; those of a TCP allocation (RFC 6062) over TCP, each through a client data connection of its
 * own: a connection that ConnectionBind turned into a byte pipe ({@link #becomeDataConnection}).
 */
final class TcpConnectionHandler extends ChannelInboundHandlerAdapter implements ClientPort, StreamExchange {
    private static final Logger log = LoggerFactory.getLogger(TcpConnectionHandler.class);

    private final RelayContext context;
    private final RelaySockets relaySockets;
    private final FiveTuple.Transport transport;
    private final ClientSessions sessions;
    private final String software;
    private Channel channel;
    private FiveTuple fiveTuple;
    private final long allocationTimeoutMillis;
    private final long stallMillis;
    private final long answerBacklogLimit;
    private long withoutAllocationSince;
    private long unwritableSince = -1;

    TcpConnectionHandler(TurnDispatcher dispatcher, RelaySockets relaySockets, FiveTuple.Transport transport,
            Set<AllocationOwner> owners) {
        this.context = dispatcher.context();
        this.relaySockets = relaySockets;
        this.transport = transport;
        this.software = context.settings().software();
        var listeners = context.settings().listeners();
        this.allocationTimeoutMillis = listeners.allocationTimeout().toMillis();
        this.stallMillis = listeners.streamStallTimeout().toMillis();
        this.answerBacklogLimit = 2L * listeners.streamWriteBuffer();
        this.sessions = new ClientSessions(dispatcher, relaySockets, this, transport, owners);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        fiveTuple = new FiveTuple(ProxyProtocolHandler.clientOf(channel), (InetSocketAddress) channel.localAddress(),
                transport);
        withoutAllocationSince = context.now();
        sessions.open(this::checkLimits);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        sessions.close(AllocationListener.EndReason.CONNECTION_CLOSED);
        ctx.fireChannelInactive();
    }

    /**
     * The two limits of a stream connection, after each sweep: one that has held no allocation for
     * {@code listeners.allocation-timeout} (since it opened or since its allocation ended) is closed whatever
     * Binding requests it sends, and so is one whose client has read nothing for
     * {@code listeners.stream-stall-timeout} while the write buffer stayed full.
     */
    private void checkLimits(long now) {
        if (sessions.holdsAllocation(fiveTuple.client())) {
            withoutAllocationSince = now;
        } else if (now - withoutAllocationSince >= allocationTimeoutMillis) {
            context.stats().streamAllocationTimeouts.increment();
            channel.close();
            return;
        }
        if (unwritableSince >= 0 && now - unwritableSince >= stallMillis) {
            stalled();
        }
    }

    private void stalled() {
        log.debug("{} client {} stopped reading: closed", transport, fiveTuple.client());
        context.stats().streamStalled.increment();
        unwritableSince = -1;
        channel.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            unwritableSince = -1;
        } else if (unwritableSince < 0) {
            unwritableSince = context.now();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // relayed packets of this read batch leave together (one sendmmsg per relay socket under epoll)
        sessions.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            sessions.received(frame, fiveTuple.client());
        } finally {
            frame.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.debug("{} connection {} failed: {}", transport, fiveTuple == null ? null : fiveTuple.client(),
                    cause.toString());
        }
        ctx.close();
    }

    // ClientPort: one client, this connection

    @Override
    public EventLoop eventLoop() {
        return channel == null ? null : channel.eventLoop();
    }

    @Override
    public FiveTuple fiveTuple(InetSocketAddress client) {
        return fiveTuple;
    }

    @Override
    public boolean isClosed() {
        return !channel.isActive();
    }

    @Override
    public void send(InetSocketAddress client, byte[] encoded) {
        // answers pass the write-buffer limit (the client asked for them), but not without bound: a client that
        // sends requests and reads nothing would otherwise queue its answers for ever
        if (!channel.isWritable() && channel.bytesBeforeWritable() > answerBacklogLimit) {
            if (channel.isActive()) {
                stalled();
            }
            return;
        }
        channel.writeAndFlush(Unpooled.wrappedBuffer(encoded), channel.voidPromise());
    }

    @Override
    public ClientLink link(InetSocketAddress client) {
        return new StreamClientLink(channel, transport == FiveTuple.Transport.TLS);
    }

    @Override
    public StreamExchange stream() {
        return this;
    }

    // StreamExchange: RFC 6062

    @Override
    public PeerConnections<PeerConnectionHandler> peerConnections() {
        return relaySockets.peerConnections();
    }

    @Override
    public void openTcpRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
        relaySockets.openTcp(channel.eventLoop(), link(fiveTuple.client()), transport, ip, port,
                sessions.unlessClosed(done));
    }

    /**
     * RFC 6062 §5.4: after the ConnectionBind success response, this connection is a client data connection.
     * The framing decoder leaves with this handler; bytes it had buffered after the request (a client that did
     * not wait for the response) pass on to the pipe, which forwards them to the peer first.
     */
    @Override
    public boolean becomeDataConnection(long connectionId, String username, StunMessageBuilder response,
            byte[] integrityKey) {
        PeerConnectionHandler connection = peerConnections().claim(connectionId, username);
        if (connection == null) {
            return false;
        }
        context.stats().responded(response.method(), response.errorCode());
        channel.writeAndFlush(Unpooled.wrappedBuffer(response.encode(software, integrityKey)), channel.voidPromise());
        sessions.close(AllocationListener.EndReason.CONNECTION_CLOSED);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("pipe", new StreamPipeHandler(connection.channel(), context.stats().traffic(transport), true));
        pipeline.remove(this);
        pipeline.remove(TcpFramingDecoder.class);
        connection.bind(channel);
        return true;
    }
}
