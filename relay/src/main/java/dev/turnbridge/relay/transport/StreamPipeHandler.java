package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.handler.RelayStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One end of an RFC 6062 byte pipe (§5.4): what this connection reads is written as it is to the other one,
 * which may live on another event loop. Backpressure both ways: when the other connection's write buffer is
 * full this one stops reading (its TCP window closes) until the other drains, and each end turns the other's
 * reading back on when it becomes writable. Either end closing closes the other once its data is flushed.
 */
final class StreamPipeHandler extends ChannelInboundHandlerAdapter {
    private final Channel other;
    private final RelayStats.Traffic traffic;
    private final boolean towardsPeer;

    /**
     * @param other       the connection on the other side
     * @param traffic     counters of the client's transport
     * @param towardsPeer whether this end is the client data connection (its bytes go to the peer)
     */
    StreamPipeHandler(Channel other, RelayStats.Traffic traffic, boolean towardsPeer) {
        this.other = other;
        this.traffic = traffic;
        this.towardsPeer = towardsPeer;
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!other.isActive()) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || !other.isActive()) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        int bytes = buf.readableBytes();
        if (towardsPeer) {
            traffic.toPeer(bytes);
        } else {
            traffic.toClient(bytes);
        }
        other.write(buf, other.voidPromise());
        if (!other.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        other.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            other.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(other);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset or a TLS failure: the pipe is over either way
    }
}
