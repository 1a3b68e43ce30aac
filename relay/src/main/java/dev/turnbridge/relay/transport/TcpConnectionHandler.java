package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerConnection;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.Exchange;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.Responder;
import dev.turnbridge.relay.handler.TransactionCache;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's TCP or TLS connection (RFC 8656 §3.1): every frame {@link TcpFramingDecoder} cut is either
 * relayed (ChannelData, Send indications) or dispatched as a request with this connection as the
 * {@link Exchange}. The connection is the 5-tuple, so it holds at most one allocation, and the allocation
 * ends when the connection does. Peers of a UDP allocation are reached over UDP and their data comes back on
 * this connection; those of a TCP allocation (RFC 6062) over TCP, each through a client data connection of its
 * own: a connection that ConnectionBind turned into a byte pipe ({@link #becomeDataConnection}).
 */
final class TcpConnectionHandler extends ChannelInboundHandlerAdapter implements Exchange, AllocationOwner {
    private static final Logger log = LoggerFactory.getLogger(TcpConnectionHandler.class);
    private static final long SWEEP_MILLIS = 1000;
    // a reliable stream sees no retransmissions; a few entries cover a client that repeats itself anyway
    private static final int TRANSACTION_CACHE_ENTRIES = 8;

    private final RelayContext context;
    private final RelaySockets relaySockets;
    private final FiveTuple.Transport transport;
    private final TransactionCache transactions = new TransactionCache(TRANSACTION_CACHE_ENTRIES);
    private final AllocationTable allocations;
    private final ClientDemultiplexer inbound;
    private final String software;
    private final Responder responder;
    private final Set<AllocationOwner> owners;
    private Channel channel;
    private FiveTuple fiveTuple;
    private final long allocationTimeoutMillis;
    private final long stallMillis;
    private final long answerBacklogLimit;
    private ScheduledFuture<?> sweeper;
    private long withoutAllocationSince;
    private long unwritableSince = -1;

    TcpConnectionHandler(TurnDispatcher dispatcher, RelaySockets relaySockets, FiveTuple.Transport transport,
            Set<AllocationOwner> owners) {
        this.owners = owners;
        this.context = dispatcher.context();
        this.relaySockets = relaySockets;
        this.transport = transport;
        this.software = context.settings().software();
        this.responder = new Responder(context);
        this.allocations = AllocationTable.withEndReasons(relaySockets::release);
        var listeners = context.settings().listeners();
        this.allocationTimeoutMillis = listeners.allocationTimeout().toMillis();
        this.stallMillis = listeners.streamStallTimeout().toMillis();
        this.answerBacklogLimit = 2L * listeners.streamWriteBuffer();
        this.inbound = new ClientDemultiplexer(dispatcher, new PeerForwarder(context, allocations), from -> this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        fiveTuple = new FiveTuple(ProxyProtocolHandler.clientOf(channel), (InetSocketAddress) channel.localAddress(),
                transport);
        sweeper = ctx.executor().scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        owners.add(this);
        withoutAllocationSince = context.now();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leave();
        ctx.fireChannelInactive();
    }

    /**
     * Expiries, and the two limits of a stream connection: one that has held no allocation for
     * {@code listeners.allocation-timeout} (since it opened or since its allocation ended) is closed whatever
     * Binding requests it sends, and so is one whose client has read nothing for
     * {@code listeners.stream-stall-timeout} while the write buffer stayed full.
     */
    private void sweep() {
        long now = context.now();
        allocations.expire(now);
        transactions.expire(now);
        if (allocations.size() > 0 || allocations.isPending(fiveTuple.client())) {
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
        inbound.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            inbound.handle(frame, fiveTuple.client());
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

    @Override
    public EventLoop eventLoop() {
        return channel == null ? null : channel.eventLoop();
    }

    @Override
    public FiveTuple fiveTuple() {
        return fiveTuple;
    }

    @Override
    public AllocationTable allocations() {
        return allocations;
    }

    @Override
    public TransactionCache transactions() {
        return transactions;
    }

    @Override
    public void respond(StunMessageBuilder response, byte[] integrityKey) {
        responder.respond(this, response, integrityKey);
    }

    @Override
    public boolean isClosed() {
        return !channel.isActive();
    }

    @Override
    public void resend(byte[] encoded) {
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
    public void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
        relaySockets.open(channel.eventLoop(), new StreamClientLink(channel), transport, ip, port, unlessClosed(done));
    }

    @Override
    public void openTcpRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
        relaySockets.openTcp(channel.eventLoop(), new StreamClientLink(channel), transport, ip, port,
                unlessClosed(done));
    }

    private BiConsumer<RelaySocket, Throwable> unlessClosed(BiConsumer<RelaySocket, Throwable> done) {
        return (socket, failure) -> {
            if (socket != null && !channel.isActive()) {
                // the client left while the socket was being bound: nothing may outlive the connection
                socket.close();
                done.accept(null, new ClosedChannelException());
                return;
            }
            done.accept(socket, failure);
        };
    }

    @Override
    public PeerConnections peerConnections() {
        return relaySockets.peerConnections();
    }

    /**
     * RFC 6062 §5.4: after the ConnectionBind success response, this connection is a client data connection.
     * The framing decoder leaves with this handler; bytes it had buffered after the request (a client that did
     * not wait for the response) pass on to the pipe, which forwards them to the peer first.
     */
    @Override
    public void becomeDataConnection(PeerConnection peer, StunMessageBuilder response, byte[] integrityKey) {
        context.stats().responded(response.method(), response.errorCode());
        channel.writeAndFlush(Unpooled.wrappedBuffer(response.encode(software, integrityKey)), channel.voidPromise());
        leave();
        PeerConnectionHandler connection = (PeerConnectionHandler) peer;
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("pipe", new StreamPipeHandler(connection.channel(), context.stats().traffic(transport), true));
        pipeline.remove(this);
        pipeline.remove(TcpFramingDecoder.class);
        connection.bind(channel);
    }

    /** This connection stops being a TURN client connection (closed, or now a data connection). */
    private void leave() {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        owners.remove(this);
        allocations.clear(AllocationListener.EndReason.CONNECTION_CLOSED);
    }
}
