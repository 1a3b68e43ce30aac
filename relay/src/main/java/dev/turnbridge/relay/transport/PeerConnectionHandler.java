package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.PeerConnection;
import dev.turnbridge.relay.handler.RelayStats;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;

/**
 * A peer data connection of a TCP allocation (RFC 6062 §2) until a client data connection binds to it: being
 * made (Connect), then waiting for ConnectionBind under its CONNECTION-ID. It does not read while it waits, so
 * what the peer sends before the bind stays in the kernel's receive buffer and the TCP window tells the peer
 * to wait (RFC 6062 §5.2-5.3: buffer, and advertise the space left). Confined to its allocation's event loop,
 * except {@link #bind}, which is called from the client data connection's.
 */
final class PeerConnectionHandler extends ChannelInboundHandlerAdapter implements PeerConnection {
    enum State { CONNECTING, WAITING_FOR_BIND, BOUND }

    private final String username;
    private final InetSocketAddress peer;
    private final RelayStats.Traffic traffic;
    private Channel channel;
    private State state;
    private long sinceMillis;
    private long id = -1;

    PeerConnectionHandler(String username, InetSocketAddress peer, RelayStats.Traffic traffic, State state,
            long sinceMillis) {
        this.username = username;
        this.peer = peer;
        this.traffic = traffic;
        this.state = state;
        this.sinceMillis = sinceMillis;
    }

    @Override
    public String username() {
        return username;
    }

    @Override
    public InetSocketAddress peer() {
        return peer;
    }

    Channel channel() {
        return channel;
    }

    State state() {
        return state;
    }

    long sinceMillis() {
        return sinceMillis;
    }

    long id() {
        return id;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    /** Established (Connect) or accepted: now waiting for ConnectionBind under {@code connectionId}. */
    void waitForBind(long connectionId, long nowMillis) {
        id = connectionId;
        state = State.WAITING_FOR_BIND;
        sinceMillis = nowMillis;
    }

    /**
     * Joins this connection to the client data connection {@code data} that claimed it: from now on bytes pass
     * both ways. Called on {@code data}'s event loop after the ConnectionBind success response was written there.
     */
    void bind(Channel data) {
        // each connection closes with the other, whatever state the pipe handlers are in
        channel.closeFuture().addListener(f -> StreamPipeHandler.closeOnFlush(data));
        channel.eventLoop().execute(() -> {
            if (!channel.isActive()) {
                return;
            }
            state = State.BOUND;
            channel.pipeline().replace(this, "pipe", new StreamPipeHandler(data, traffic, false));
            if (channel.isWritable()) {
                // data that came before the pipe was in place may have stopped the client side's reading
                data.config().setAutoRead(true);
            }
            channel.config().setAutoRead(true);
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
