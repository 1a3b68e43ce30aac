package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.StreamExchange;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP server socket (RFC 8656 §3.1 over UDP): each datagram is one message for its {@link ClientSessions},
 * which serve every client of the socket; answers and relayed data go back as datagrams from this socket. The
 * allocations live on this socket's event loop together with their relay sockets, so the data path takes no
 * lock.
 */
final class UdpListenerHandler extends ChannelInboundHandlerAdapter implements ClientPort {
    private static final Logger log = LoggerFactory.getLogger(UdpListenerHandler.class);

    private final ClientSessions sessions;
    private final int maxDatagramSize;
    private Channel channel;
    /** Answers are written from here toward the socket: this handler is the pipeline's only one. */
    private ChannelHandlerContext context;
    private InetSocketAddress local;
    /** Inside a read batch: what is answered now leaves with the batch's flush. */
    private boolean reading;
    private boolean unflushed;
    /** Outside one (an Allocate answered once its relay socket is bound): a flush queued behind those tasks. */
    private boolean flushQueued;
    private final Runnable queuedFlush = () -> {
        flushQueued = false;
        context.flush();
    };

    UdpListenerHandler(TurnDispatcher dispatcher, RelaySockets relaySockets, Set<AllocationOwner> owners) {
        this.maxDatagramSize = dispatcher.context().settings().listeners().maxDatagramSize();
        this.sessions = new ClientSessions(dispatcher, relaySockets, this, FiveTuple.Transport.UDP, owners);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        context = ctx;
        local = (InetSocketAddress) channel.localAddress();
        sessions.open(now -> { });
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        sessions.close(AllocationListener.EndReason.SHUTDOWN);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // relayed packets and answers of this read batch leave together (one sendmmsg per socket under epoll)
        reading = false;
        sessions.flush();
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        reading = true;
        try {
            ByteBuf buf = packet.content();
            if (!buf.isReadable() || buf.readableBytes() >= maxDatagramSize) {
                // a datagram that filled the receive buffer may have been truncated by the kernel
                sessions.malformed("size");
                return;
            }
            sessions.received(buf, packet.sender());
        } finally {
            packet.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("UDP listener {} error: {}", local, cause.toString());
    }

    @Override
    public EventLoop eventLoop() {
        return channel == null ? null : channel.eventLoop();
    }

    @Override
    public FiveTuple fiveTuple(InetSocketAddress client) {
        return new FiveTuple(client, local, FiveTuple.Transport.UDP);
    }

    @Override
    public void send(InetSocketAddress client, byte[] encoded) {
        DatagramPacket answer = new DatagramPacket(Unpooled.wrappedBuffer(encoded), client);
        if (!channel.eventLoop().inEventLoop()) {
            channel.writeAndFlush(answer, channel.voidPromise());
            return;
        }
        // answers are batched like relayed data (an allocation's four answers were four sendto calls)
        context.write(answer, context.voidPromise());
        if (reading) {
            unflushed = true;
        } else if (!flushQueued) {
            flushQueued = true;
            channel.eventLoop().execute(queuedFlush);
        }
    }

    @Override
    public boolean isClosed() {
        return false; // one socket for every client: there is no association to end
    }

    @Override
    public ClientLink link(InetSocketAddress client) {
        return new UdpClientLink(channel, client);
    }

    @Override
    public StreamExchange stream() {
        return null;
    }
}
