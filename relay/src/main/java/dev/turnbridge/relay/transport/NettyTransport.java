package dev.turnbridge.relay.transport;

import dev.turnbridge.config.IpLiteral;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The event loop flavour and matching channel classes: native epoll on Linux when its library loads, NIO
 * elsewhere. Epoll also lets several UDP sockets share a port (SO_REUSEPORT), one per event loop, so the
 * kernel spreads clients over cores while each client's state stays on one thread.
 */
public record NettyTransport(
        EventLoopGroup group,
        int threads,
        boolean epoll,
        Class<? extends ServerSocketChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel) {

    /** Creates an event loop group of {@code threads} threads; the caller owns and shuts it down. */
    public static NettyTransport create(int threads, String name, boolean preferEpoll) {
        boolean epoll = preferEpoll && Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new IoFirstEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
        return epoll
                ? new NettyTransport(group, threads, true, EpollServerSocketChannel.class, EpollSocketChannel.class)
                : new NettyTransport(group, threads, false, NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * A datagram channel for a socket to be bound to {@code bindAddress}: an IPv4 socket for an IPv4 address,
     * else (IPv6, or null for unknown) the default IPv6 socket. Netty's default carries IPv4 over an IPv6
     * socket as v4-mapped addresses, which costs more server CPU per relayed UDP message (the kernel's udpv6
     * send and receive paths, mapped-address conversions): 292 against 272 ticks for the same 125k echoed
     * channel messages, mean of four interleaved runs each.
     */
    DatagramChannel newDatagramChannel(InetAddress bindAddress) {
        SocketProtocolFamily family = bindAddress instanceof Inet4Address ? SocketProtocolFamily.INET : null;
        if (epoll) {
            return family == null ? new EpollDatagramChannel() : new EpollDatagramChannel(family);
        }
        return family == null ? new NioDatagramChannel() : new NioDatagramChannel(family);
    }

    /** {@link #newDatagramChannel(InetAddress)} for a listener's host: an IP literal, or a name (default socket). */
    DatagramChannel newDatagramChannel(String host) {
        return newDatagramChannel(IpLiteral.isValid(host) ? IpLiteral.address(host) : null);
    }

    /** Datagrams read per system call (recvmmsg) under epoll. */
    static final int DATAGRAMS_PER_READ = 8;

    /**
     * Sizes datagram reads: under epoll one recvmmsg fills up to {@link #DATAGRAMS_PER_READ} slots of
     * {@code maxDatagramSize} bytes each; NIO reads one datagram per call.
     */
    void configureDatagramReads(Bootstrap bootstrap, int maxDatagramSize) {
        if (epoll) {
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagramSize)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(maxDatagramSize * DATAGRAMS_PER_READ));
        } else {
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize));
        }
    }

    /** Stops the event loops, waiting a bounded time so that a stuck task cannot hold up process exit. */
    public void shutdown() {
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS)
                .awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
