package dev.turnbridge.server.acme;

import dev.turnbridge.config.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code tls.acme.http-listen}: plain HTTP for HTTP-01 validation and redirects to https, nothing else
 * ({@link Http01Handler}). Request line and headers are bounded, one request per connection, at most 16
 * connections per client address, and a connection silent for 10 s is closed.
 */
public final class AcmeHttpServer implements AutoCloseable {
    private static final int MAX_LINE = 4096;
    private static final int MAX_HEADERS = 8192;
    static final int IDLE_SECONDS = 10;
    static final int CONNECTIONS_PER_ADDRESS = 16;

    private final List<Channel> channels = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final ConnectionsPerAddress cap = new ConnectionsPerAddress(CONNECTIONS_PER_ADDRESS);
    private final long idleMillis;

    AcmeHttpServer() {
        this(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
    }

    /** @param idleMillis how long a connection may stay silent (tests shorten it) */
    AcmeHttpServer(long idleMillis) {
        this.idleMillis = idleMillis;
    }

    List<InetSocketAddress> start(List<HostPort> listen, Http01Tokens tokens, List<String> domains, int httpsPort,
            EventLoopGroup group, Class<? extends ServerChannel> channelType) {
        for (HostPort hp : listen) {
            Channel ch = new ServerBootstrap().group(group).channel(channelType)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast("cap", cap);
                            c.pipeline().addLast("idle", new ReadTimeoutHandler(idleMillis, TimeUnit.MILLISECONDS));
                            c.pipeline().addLast("http", new HttpServerCodec(MAX_LINE, MAX_HEADERS, 8192));
                            c.pipeline().addLast("http-01", new Http01Handler(tokens, domains, httpsPort));
                        }
                    })
                    .bind(hp.host(), hp.port()).syncUninterruptibly().channel();
            channels.add(ch);
            bound.add((InetSocketAddress) ch.localAddress());
        }
        return List.copyOf(bound);
    }

    List<InetSocketAddress> addresses() {
        return List.copyOf(bound);
    }

    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
    }
}
