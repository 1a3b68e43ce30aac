package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.ChannelBinding;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.wire.ChannelData;
import dev.turnbridge.relay.wire.SendIndication;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Client to peer on the data path (RFC 8656 §11.4, §12.5): a ChannelData message or Send indication is
 * checked against the client's allocation and its payload handed, as a slice of the received buffer, to the
 * relay socket of the peer's family. Anything that does not check out is dropped and counted. One instance
 * per UDP server socket or TCP/TLS connection, confined to its event loop.
 */
final class PeerForwarder {
    private final RelayContext context;
    private final RelayStats stats;
    private final AllocationTable allocations;
    private final SendIndication send = new SendIndication();
    /** Relay sockets written to since the last {@link #flush()}; usually one or two. */
    private final List<RelaySocket> queued = new ArrayList<>(4);

    PeerForwarder(RelayContext context, AllocationTable allocations) {
        this.context = context;
        this.stats = context.stats();
        this.allocations = allocations;
    }

    /** Relays the ChannelData message at {@code buf}'s reader index; the caller keeps ownership of {@code buf}. */
    void channelData(ByteBuf buf, InetSocketAddress client) {
        long now = context.now();
        Allocation a = allocations.get(client, now);
        int length = ChannelData.dataLength(buf);
        if (a == null || length < 0) {
            stats.dataDropped.increment();
            return;
        }
        ChannelBinding binding = a.channel(ChannelData.channelNumber(buf), now);
        if (binding == null || !a.permits(binding.peer().getAddress(), now)) {
            stats.dataDropped.increment();
            return;
        }
        RelaySocket socket = a.relaySocketFor(binding.peer().getAddress());
        if (socket == null) {
            stats.dataDropped.increment();
            return;
        }
        socket.send(buf.retainedSlice(buf.readerIndex() + ChannelData.HEADER_LENGTH, length), binding.peer());
        queue(socket);
    }

    /** Relays the Send indication at {@code buf}'s reader index; the caller keeps ownership of {@code buf}. */
    void sendIndication(ByteBuf buf, InetSocketAddress client) {
        long now = context.now();
        Allocation a = allocations.get(client, now);
        if (a == null || !send.parse(buf)) {
            stats.dataDropped.increment();
            return;
        }
        InetSocketAddress peer = send.peer();
        RelaySocket socket = a.relaySocketFor(peer.getAddress());
        if (socket == null || !a.permits(peer.getAddress(), now)) {
            stats.dataDropped.increment();
            return;
        }
        PeerPolicy.Verdict verdict = context.peerVerdict(peer);
        if (!verdict.isPermitted()) {
            stats.peerRefused(verdict.reason());
            stats.dataDropped.increment();
            return;
        }
        if (!context.roomPermitsData(a.room(), peer)) {
            stats.peerRefused(PeerPolicy.RefusalReason.NOT_IN_ROOM);
            stats.dataDropped.increment();
            return;
        }
        socket.send(buf.retainedSlice(send.dataIndex(), send.dataLength()), peer);
        queue(socket);
    }

    /** Sends everything relayed since the last call; the transport calls it at the end of each read batch. */
    void flush() {
        for (int i = 0; i < queued.size(); i++) {
            queued.get(i).flush();
        }
        queued.clear();
    }

    private void queue(RelaySocket socket) {
        // a linear scan beats a set for the one or two sockets a batch touches
        for (int i = 0; i < queued.size(); i++) {
            if (queued.get(i) == socket) {
                return;
            }
        }
        queued.add(socket);
    }
}
