package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.ChannelBinding;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.allocation.RoomShare;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.wire.ChannelData;
import dev.turnbridge.relay.wire.DataIndication;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.time.Clock;

/**
 * A UDP relayed transport address (RFC 8656 §2.2). Peer datagrams from permitted IPs go to the client as
 * ChannelData when a channel is bound to the peer, else as a Data indication (RFC 8656 §11.5, §12.6); others
 * are dropped, and so is what exceeds the budget of the allocation's room, both ways. Runs on the same event
 * loop as the client's server socket or connection, so no state is shared across threads (the room budget is
 * one atomic, see {@link RoomShare}). Relaying to peers is always over UDP (RFC 8656 §3.1), whatever the client uses.
 */
final class UdpRelaySocket extends ChannelInboundHandlerAdapter implements RelaySocket {
    private final ClientLink client;
    private final Clock clock;
    private final RelayStats stats;
    private final RelayStats.Traffic traffic;
    private final int maxDatagramSize;
    private Channel channel;
    private InetSocketAddress localAddress;
    private Allocation allocation;
    private boolean toPeerQueued;
    private boolean toClientQueued;

    UdpRelaySocket(ClientLink client, Clock clock, RelayStats stats, RelayStats.Traffic traffic,
            int maxDatagramSize) {
        this.traffic = traffic;
        this.maxDatagramSize = maxDatagramSize;
        this.client = client;
        this.clock = clock;
        this.stats = stats;
    }

    void bound(Channel relayChannel) {
        this.channel = relayChannel;
        // kept: a closed channel no longer reports its address, and the port must still be released
        this.localAddress = (InetSocketAddress) relayChannel.localAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void start(Allocation owner) {
        this.allocation = owner;
    }

    @Override
    public void send(ByteBuf payload, InetSocketAddress peer) {
        if (!channel.isWritable()) {
            // what this batch queued may be all that fills the buffer: send it, then judge again
            flushNow();
        }
        if (!channel.isWritable()) {
            // a stream client can send faster than UDP drains; drop rather than queue without bound
            payload.release();
            stats.dataDropped.increment();
            return;
        }
        int bytes = payload.readableBytes();
        RoomShare room = allocation == null ? null : allocation.room();
        if (room != null && !room.admit(bytes, clock.millis())) {
            payload.release(); // over the room's budget (quotas.room-bandwidth)
            stats.roomBudgetDropped.increment();
            return;
        }
        traffic.toPeer(bytes);
        if (allocation != null) {
            allocation.countToPeer(bytes);
        }
        channel.write(new DatagramPacket(payload, peer), channel.voidPromise());
        toPeerQueued = true;
    }

    @Override
    public void flush() {
        if (toPeerQueued) {
            flushNow();
        }
    }

    private void flushNow() {
        toPeerQueued = false;
        channel.flush();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            Allocation a = allocation;
            InetSocketAddress peer = packet.sender();
            long now = clock.millis();
            if (a == null || !a.isLive(now) || !a.permits(peer.getAddress(), now)) {
                stats.dataDropped.increment();
                return;
            }
            if (!client.isWritable() && toClientQueued) {
                // what this batch queued may be all that fills the buffer: send it, then judge again
                toClientQueued = false;
                client.flush();
            }
            if (!client.isWritable()) {
                // a slow stream client: dropping is what UDP would have done, and memory stays bounded
                stats.dataDropped.increment();
                return;
            }
            ByteBuf data = packet.content();
            int length = data.readableBytes();
            if (length >= maxDatagramSize) {
                // it filled its read slot, so the kernel may have cut it short: never relay a truncated packet
                stats.dataDropped.increment();
                return;
            }
            ChannelBinding binding = a.channelFor(peer, now);
            if (binding == null && !DataIndication.fits(peer, length)) {
                stats.dataDropped.increment(); // too long for a Data indication's 16-bit length
                return;
            }
            RoomShare room = a.room();
            if (room != null && !room.admit(length, now)) {
                stats.roomBudgetDropped.increment(); // over the room's budget (quotas.room-bandwidth)
                return;
            }
            ByteBuf out = binding != null
                    ? ChannelData.encode(client.alloc(), binding.number(), data, data.readerIndex(), length,
                            client.isStream())
                    : DataIndication.encode(client.alloc(), peer, data);
            traffic.toClient(length);
            a.countToClient(length);
            client.send(out);
            toClientQueued = true;
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // one flush per batch of peer datagrams read together
        if (toClientQueued) {
            toClientQueued = false;
            client.flush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // ICMP errors surface as PortUnreachableException on some platforms; a relay socket never dies of them
    }
}
