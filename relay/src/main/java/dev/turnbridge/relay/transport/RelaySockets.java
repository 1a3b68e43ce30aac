package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.allocation.RelayedAddress;
import dev.turnbridge.relay.handler.RelayContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import java.net.InetAddress;
import java.util.function.BiConsumer;

/**
 * Binds the UDP relay sockets of allocations, on the event loop of the client they serve, and lets them go
 * again when an allocation ends (socket closed, port and quota returned).
 */
final class RelaySockets {
    private final RelayContext context;
    private final NettyTransport netty;
    private final int maxDatagramSize;

    RelaySockets(RelayContext context, NettyTransport transport) {
        this.context = context;
        this.netty = transport;
        this.maxDatagramSize = context.settings().listeners().maxDatagramSize();
    }

    /** Binds {@code ip:port}; {@code done} runs on {@code loop} with the socket or the failure. */
    void open(EventLoop loop, ClientLink client, FiveTuple.Transport transport, InetAddress ip, int port,
            BiConsumer<RelaySocket, Throwable> done) {
        UdpRelaySocket socket = new UdpRelaySocket(client, context.clock(), context.stats(),
                context.stats().traffic(transport));
        ChannelFuture bind = new Bootstrap()
                .group(loop)
                .channel(netty.datagramChannel())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize))
                .handler(socket)
                .bind(ip, port);
        bind.addListener(f -> {
            if (f.isSuccess()) {
                socket.bound(bind.channel());
                done.accept(socket, null);
            } else {
                done.accept(null, f.cause());
            }
        });
    }

    /** Ends an allocation that left its table: closes its sockets, returns ports and quota. */
    void release(Allocation allocation, AllocationListener.EndReason reason) {
        for (RelayedAddress relayed : allocation.relayedAddresses()) {
            RelaySocket socket = relayed.socket();
            int port = socket.localAddress().getPort();
            socket.close();
            context.ports().release(port);
        }
        context.quota().release(allocation.username());
        context.stats().ended(allocation, reason);
    }
}
