package dev.turnbridge.server.ops;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;

/**
 * The operations listener (metrics, health, status page, admin API): plain HTTP/1.1 on its own address,
 * loopback by default. Event loops are owned by the caller.
 */
public final class OpsServer implements AutoCloseable {
    private static final int MAX_REQUEST = 16 * 1024;
    private static final int READ_TIMEOUT_SECONDS = 30;

    private final HostPort listen;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelType;
    private final OpsHandler handler;
    private Channel channel;

    public OpsServer(Settings settings, OpsServices services, EventLoopGroup group,
            Class<? extends ServerChannel> channelType) {
        this.listen = settings.metrics().listen();
        this.group = group;
        this.channelType = channelType;
        this.handler = new OpsHandler(services, new BearerToken(settings.metrics().token()),
                new BearerToken(settings.admin().token()));
    }

    /** Binds the listener; returns the bound address (the port resolved when 0 was asked). */
    public InetSocketAddress start() {
        channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS))
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpServerKeepAliveHandler())
                                .addLast(new HttpObjectAggregator(MAX_REQUEST))
                                .addLast(handler);
                    }
                })
                .bind(listen.host(), listen.port())
                .syncUninterruptibly()
                .channel();
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
            channel = null;
        }
    }
}
