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
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunParseException;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.wire.ChannelData;
import dev.turnbridge.relay.wire.SendIndication;
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

    private final TurnDispatcher dispatcher;
    private final RelayContext context;
    private final RelayStats stats;
    private final RelaySockets relaySockets;
    private final TransactionCache transactions = new TransactionCache(TRANSACTION_CACHE_ENTRIES);
    private final AllocationTable allocations;
    private final PeerForwarder forwarder;
    private final Responder responder;
    private final int maxDatagramSize;
    private Channel channel;
    private InetSocketAddress local;
    private ScheduledFuture<?> sweeper;
    private long lastMalformedLog;

    UdpListenerHandler(TurnDispatcher dispatcher, RelaySockets relaySockets) {
        this.dispatcher = dispatcher;
        this.context = dispatcher.context();
        this.stats = context.stats();
        this.relaySockets = relaySockets;
        this.responder = new Responder(context);
        this.maxDatagramSize = context.settings().listeners().maxDatagramSize();
        this.allocations = AllocationTable.withEndReasons(relaySockets::release);
        this.forwarder = new PeerForwarder(context, allocations);
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
        forwarder.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            ByteBuf buf = packet.content();
            if (!buf.isReadable() || buf.readableBytes() >= maxDatagramSize) {
                // a datagram that filled the receive buffer may have been truncated by the kernel
                malformed(packet.sender(), "size");
                return;
            }
            int first = buf.getUnsignedByte(buf.readerIndex());
            if (ChannelData.isChannelData(first)) {
                forwarder.channelData(buf, packet.sender());
            } else if (!StunDecoder.looksLikeStun(first)) {
                malformed(packet.sender(), "first_byte");
            } else if (SendIndication.is(buf)) {
                forwarder.sendIndication(buf, packet.sender());
            } else {
                handleStun(buf, packet.sender());
            }
        } finally {
            packet.release();
        }
    }

    private void handleStun(ByteBuf buf, InetSocketAddress sender) {
        // ice4j decodes only whole arrays starting at offset 0
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        StunMessage message;
        try {
            message = StunDecoder.decode(bytes, bytes.length);
        } catch (StunParseException e) {
            malformed(sender, e.getMessage());
            return;
        }
        dispatcher.dispatch(message, new UdpExchange(sender));
    }

    private void malformed(InetSocketAddress sender, String reason) {
        stats.malformedDropped.increment();
        long now = System.nanoTime();
        if (log.isDebugEnabled() && now - lastMalformedLog > TimeUnit.SECONDS.toNanos(1)) {
            lastMalformedLog = now;
            log.debug("dropped malformed datagram ({})", reason);
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
