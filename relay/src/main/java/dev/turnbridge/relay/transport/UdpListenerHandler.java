package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.Exchange;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.handler.Responder;
import dev.turnbridge.relay.handler.TransactionCache;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP server socket (RFC 8656 §3.1 over UDP). Demultiplexes each datagram by its first byte (RFC 7983):
 * ChannelData and Send indications are relayed on the spot; other STUN messages are decoded and dispatched.
 * Owns the allocations of the clients it serves; they live on this socket's event loop together with their
 * relay sockets, so the data path takes no lock.
 */
final class UdpListenerHandler extends ChannelInboundHandlerAdapter implements AllocationOwner {
    private static final Logger log = LoggerFactory.getLogger(UdpListenerHandler.class);
    private static final long SWEEP_MILLIS = 1000;
    private static final int TRANSACTION_CACHE_ENTRIES = 8192;

    private final RelayContext context;
    private final RelayStats stats;
    private final RelaySockets relaySockets;
    private final TransactionCache transactions = new TransactionCache(TRANSACTION_CACHE_ENTRIES);
    private final AllocationTable allocations;
    private final ClientDemultiplexer inbound;
    private final Responder responder;
    private final int maxDatagramSize;
    private Channel channel;
    private InetSocketAddress local;
    private ScheduledFuture<?> sweeper;

    UdpListenerHandler(TurnDispatcher dispatcher, RelaySockets relaySockets) {
        this.context = dispatcher.context();
        this.stats = context.stats();
        this.relaySockets = relaySockets;
        this.responder = new Responder(context);
        this.maxDatagramSize = context.settings().listeners().maxDatagramSize();
        this.allocations = AllocationTable.withEndReasons(relaySockets::release);
        this.inbound = new ClientDemultiplexer(dispatcher, new PeerForwarder(context, allocations), UdpExchange::new);
    }

    @Override
    public AllocationTable allocations() {
        return allocations;
    }

    @Override
    public EventLoop eventLoop() {
        return channel == null ? null : channel.eventLoop();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        local = (InetSocketAddress) channel.localAddress();
        sweeper = ctx.executor().scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        allocations.clear();
        ctx.fireChannelInactive();
    }

    private void sweep() {
        long now = context.now();
        allocations.expire(now);
        transactions.expire(now);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // relayed packets of this read batch leave together (one sendmmsg per relay socket under epoll)
        inbound.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            ByteBuf buf = packet.content();
            if (!buf.isReadable() || buf.readableBytes() >= maxDatagramSize) {
                // a datagram that filled the receive buffer may have been truncated by the kernel
                inbound.malformed("size");
                return;
            }
            inbound.handle(buf, packet.sender());
        } finally {
            packet.release();
        }
    }



    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("UDP listener {} error: {}", local, cause.toString());
    }

    /** A request that arrived on this socket. */
    private final class UdpExchange implements Exchange {
        private final FiveTuple fiveTuple;

        UdpExchange(InetSocketAddress client) {
            this.fiveTuple = new FiveTuple(client, local, FiveTuple.Transport.UDP);
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
        public void resend(byte[] encoded) {
            channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(encoded), fiveTuple.client()),
                    channel.voidPromise());
        }

        @Override
        public void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
            relaySockets.open(channel.eventLoop(), new UdpClientLink(channel, fiveTuple.client()),
                    FiveTuple.Transport.UDP, ip, port, done);
        }

    }
}
