package dev.turnbridge.relay.transport;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationInfo;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The STUN/TURN relay: one or more UDP server sockets per configured listener (one per event loop with
 * SO_REUSEPORT under epoll), all sharing one {@link RelayContext}. Event loops are owned by the caller.
 */
public final class RelayServer implements AutoCloseable {
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final RelayContext context;
    private final NettyTransport transport;
    private final TurnDispatcher dispatcher;
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final List<UdpListenerHandler> listeners = new CopyOnWriteArrayList<>();

    public RelayServer(Settings settings, Clock clock, NettyTransport transport) {
        this.context = RelayContext.create(settings, clock);
        this.transport = transport;
        this.dispatcher = new TurnDispatcher(context);
    }

    public RelayContext context() {
        return context;
    }

    /** Binds every UDP listener; returns the bound addresses, one per configured listener. */
    public List<InetSocketAddress> start() {
        List<InetSocketAddress> bound = new ArrayList<>();
        for (HostPort hp : context.settings().listeners().udp()) {
            if (transport.epoll() && hp.port() != 0) {
                ensureUnused(hp);
            }
            InetSocketAddress first = null;
            int sockets = transport.epoll() ? transport.threads() : 1;
            for (int i = 0; i < sockets; i++) {
                // the first bind may pick an ephemeral port; the others must join that same port
                int port = first == null ? hp.port() : first.getPort();
                UdpListenerHandler handler = new UdpListenerHandler(dispatcher, transport);
                Bootstrap b = new Bootstrap()
                        .group(transport.group())
                        .channel(transport.datagramChannel())
                        .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                        .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                        .option(ChannelOption.RCVBUF_ALLOCATOR,
                                new FixedRecvByteBufAllocator(context.settings().listeners().maxDatagramSize()))
                        .handler(handler);
                if (transport.epoll()) {
                    b.option(EpollChannelOption.SO_REUSEPORT, true);
                }
                Channel ch = b.bind(hp.host(), port).syncUninterruptibly().channel();
                channels.add(ch);
                listeners.add(handler);
                if (first == null) {
                    first = (InetSocketAddress) ch.localAddress();
                }
            }
            bound.add(first);
        }
        return bound;
    }

    /**
     * SO_REUSEPORT lets a second process of the same user join a bound port and silently take a share of
     * its clients; a plain bind first turns that mistake into "address already in use".
     */
    private static void ensureUnused(HostPort hp) {
        try (DatagramSocket probe = new DatagramSocket(null)) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port()));
        } catch (IOException e) {
            throw new IllegalStateException("UDP " + hp + " is already in use: " + e.getMessage(), e);
        }
    }

    /** Live allocations across all server sockets. */
    public int allocationCount() {
        return context.quota().live();
    }

    /** Relay ports taken by allocations and reservations. */
    public int relayPortsInUse() {
        return context.ports().inUse();
    }

    public int relayPortCapacity() {
        return context.ports().capacity();
    }

    /**
     * Snapshots every allocation. Allocations are confined to their event loops, so each socket's table is read
     * by a task on its own loop and the parts are joined; the future completes off the loops' critical path.
     */
    public CompletableFuture<List<AllocationInfo>> allocations() {
        return onEveryLoop(table -> table.snapshot().stream().map(Allocation::info).toList())
                .thenApply(parts -> parts.stream().flatMap(List::stream).toList());
    }

    /** Ends (as {@code admin}) every allocation {@code which} selects; completes with how many ended. */
    public CompletableFuture<Integer> endAllocations(Predicate<AllocationInfo> which) {
        return onEveryLoop(table -> table.removeIf(a -> which.test(a.info()), AllocationListener.EndReason.ADMIN))
                .thenApply(parts -> parts.stream().mapToInt(Integer::intValue).sum());
    }

    /** Stops admitting new allocations (300 or 508 to Allocate); existing ones keep relaying. */
    public void drain() {
        context.gate().drain();
    }

    public boolean draining() {
        return context.gate().draining();
    }

    private <T> CompletableFuture<List<T>> onEveryLoop(Function<AllocationTable, T> task) {
        List<CompletableFuture<T>> parts = new ArrayList<>();
        for (UdpListenerHandler listener : listeners) {
            EventLoop loop = listener.eventLoop();
            if (loop == null) {
                continue;
            }
            CompletableFuture<T> part = new CompletableFuture<>();
            try {
                loop.execute(() -> {
                    try {
                        part.complete(task.apply(listener.allocations()));
                    } catch (RuntimeException e) {
                        part.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                part.completeExceptionally(e); // the loop is shutting down
            }
            parts.add(part);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
        listeners.clear();
    }
}
