package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.allocation.RelayedAddress;
import dev.turnbridge.relay.handler.RelayContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Binds the relay sockets of allocations, UDP ones and the listening TCP ones of RFC 6062, on the event loop of
 * the client they serve, and lets them go again when an allocation ends (socket closed, port and quota
 * returned). Also holds the server's RFC 6062 state shared across event loops.
 */
final class RelaySockets {
    // Linux's SOL_SOCKET and SO_REUSEPORT (asm-generic): Netty's epoll client channels have no option of their own
    private static final ChannelOption<Integer> EPOLL_CLIENT_REUSE_PORT =
            new IntegerUnixChannelOption("SO_REUSEPORT", 1, 15);

    private final RelayContext context;
    private final NettyTransport netty;
    private final int maxDatagramSize;
    private final PeerConnections<PeerConnectionHandler> peerConnections = new PeerConnections<>();

    private final ChannelOption<Boolean> reusePort;
    private final boolean epoll;
    private final WriteBufferWaterMark waterMark;
    private final int receiveBuffer;
    private final int sendBuffer;
    private final Map<ChannelOption<?>, Object> datagramOptions;

    RelaySockets(RelayContext context, NettyTransport transport) {
        this.context = context;
        this.netty = transport;
        this.maxDatagramSize = context.settings().listeners().maxDatagramSize();
        this.epoll = transport.epoll();
        this.reusePort = transport.epoll() ? EpollChannelOption.SO_REUSEPORT
                : NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT);
        int high = context.settings().listeners().streamWriteBuffer();
        this.waterMark = new WriteBufferWaterMark(high / 2, high);
        this.receiveBuffer = context.settings().relay().socketReceiveBuffer();
        this.sendBuffer = context.settings().relay().socketSendBuffer();
        Bootstrap options = new Bootstrap(); // only to collect the options the same way as every listener
        buffers(options::option);
        netty.configureDatagramReads(options, maxDatagramSize);
        this.datagramOptions = options.config().options();
    }

    /**
     * Sets {@code relay.socket-receive-buffer} and {@code relay.socket-send-buffer} through {@code option}
     * (a bootstrap's, or a server bootstrap's for itself or its children); 0 leaves the kernel's default.
     */
    private void buffers(BiConsumer<ChannelOption<Integer>, Integer> option) {
        if (receiveBuffer > 0) {
            option.accept(ChannelOption.SO_RCVBUF, receiveBuffer);
        }
        if (sendBuffer > 0) {
            option.accept(ChannelOption.SO_SNDBUF, sendBuffer);
        }
    }

    PeerConnections<PeerConnectionHandler> peerConnections() {
        return peerConnections;
    }

    /**
     * Binds the listening socket of a TCP allocation on {@code ip:port} (RFC 6062 §5.1); {@code done} runs on
     * {@code loop} with the socket or the failure. Accepted peers live on {@code loop} too, and do not read
     * until a ConnectionBind joins them to a client data connection.
     */
    void openTcp(EventLoop loop, ClientLink client, FiveTuple.Transport transport, InetAddress ip, int port,
            BiConsumer<RelaySocket, Throwable> done) {
        TcpRelayListener socket = new TcpRelayListener(context, peerConnections, client, loop, this,
                context.stats().traffic(transport));
        ServerBootstrap server = new ServerBootstrap();
        // accepted peers inherit the listening socket's receive buffer, and with it their TCP window scale
        buffers(server::option);
        buffers(server::childOption);
        ChannelFuture bind = server
                .group(loop)
                .channel(netty.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(reusePort, true)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel peer) {
                        socket.accepted(peer);
                    }
                })
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

    /**
     * A connection from a TCP relayed address to a peer (RFC 6062 §5.2): same local address as the listening
     * socket, not reading until bound, given up after {@link PeerConnections#TIMEOUT_MILLIS} at the latest (the
     * listener's sweep enforces the same limit on the injected clock).
     */
    Bootstrap connector(EventLoop loop, ChannelHandler handler) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(netty.socketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) PeerConnections.TIMEOUT_MILLIS)
                .handler(handler);
        buffers(b::option);
        // SO_REUSEPORT on both this socket and the listening one lets them share the relayed address
        return epoll ? b.option(EPOLL_CLIENT_REUSE_PORT, 1) : b.option(reusePort, true);
    }

    /**
     * Binds {@code ip:port}; {@code done} runs on {@code loop} with the socket or the failure. What a Bootstrap
     * would do, without its per-bind work (a reflective constructor, copies of the option map, the initializer
     * extensions look-up): about a tenth of an allocation's CPU went there. The options are set up once.
     */
    void open(EventLoop loop, ClientLink client, FiveTuple.Transport transport, InetAddress ip, int port,
            BiConsumer<RelaySocket, Throwable> done) {
        UdpRelaySocket socket = new UdpRelaySocket(client, context.clock(), context.stats(),
                context.stats().traffic(transport), maxDatagramSize);
        Channel channel;
        try {
            channel = netty.newDatagramChannel(ip);
        } catch (RuntimeException e) { // the socket() call failed, e.g. out of file descriptors
            done.accept(null, e);
            return;
        }
        for (Map.Entry<ChannelOption<?>, Object> option : datagramOptions.entrySet()) {
            setOption(channel, option.getKey(), option.getValue());
        }
        channel.pipeline().addLast(socket);
        loop.register(channel).addListener(registered -> {
            if (!registered.isSuccess()) {
                channel.unsafe().closeForcibly();
                done.accept(null, registered.cause());
                return;
            }
            // bind in a task of its own, as Bootstrap does: what the loop already has pending (a client's
            // connection closing while its Allocate waits, say) is handled first, as it always was
            channel.eventLoop().execute(() -> channel.bind(new InetSocketAddress(ip, port)).addListener(f -> {
                if (f.isSuccess()) {
                    socket.bound(channel);
                    done.accept(socket, null);
                } else {
                    channel.close();
                    done.accept(null, f.cause());
                }
            }));
        });
    }

    @SuppressWarnings("unchecked")
    private static <T> void setOption(Channel channel, ChannelOption<T> option, Object value) {
        if (!channel.config().setOption(option, (T) value)) {
            throw new IllegalStateException("relay socket option not supported: " + option);
        }
    }

    /** Ends an allocation that left its table: closes its sockets, returns ports, quota and its room share. */
    void release(Allocation allocation, AllocationListener.EndReason reason) {
        for (RelayedAddress relayed : allocation.relayedAddresses()) {
            RelaySocket socket = relayed.socket();
            int port = socket.localAddress().getPort();
            socket.close();
            context.ports().release(port);
        }
        context.quota().release(allocation.claim());
        if (allocation.room() != null) {
            context.rooms().left(allocation.room(), allocation);
        }
        context.stats().ended(allocation, reason);
    }
}
