package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.relay.testing.Ipv6Loopback;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Datagram sockets bound to an IPv4 address are IPv4 sockets, under epoll and NIO alike: the kernel lists each
 * socket in the table of its own family ({@code /proc/self/net/udp} or {@code udp6}), whatever address it is
 * bound to, so an IPv6 socket carrying v4-mapped addresses would show in {@code udp6}.
 */
class NettyTransportTest {
    private static final Path UDP4 = Path.of("/proc/self/net/udp");
    private static final Path UDP6 = Path.of("/proc/self/net/udp6");

    @ParameterizedTest(name = "epoll preferred: {0}")
    @ValueSource(booleans = {true, false})
    void anIpv4BindIsAnIpv4Socket(boolean epoll) throws Exception {
        assumeTrue(Files.isReadable(UDP4), "Linux /proc/net tables");
        assertThat(tablesListing(epoll, InetAddress.getByName("127.0.0.1"))).containsExactly(UDP4);
    }

    @ParameterizedTest(name = "epoll preferred: {0}")
    @ValueSource(booleans = {true, false})
    void anIpv6BindStaysAnIpv6Socket(boolean epoll) throws Exception {
        assumeTrue(Files.isReadable(UDP6) && Ipv6Loopback.available(), "IPv6 loopback and /proc/net/udp6");
        assertThat(tablesListing(epoll, InetAddress.getByName("::1"))).containsExactly(UDP6);
    }

    /** Binds a datagram channel to an ephemeral port of {@code ip}: the tables that list it while it is open. */
    private static List<Path> tablesListing(boolean epoll, InetAddress ip) throws Exception {
        NettyTransport transport = NettyTransport.create(1, "netty-transport-test", epoll);
        try {
            Channel channel = transport.newDatagramChannel(ip);
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter());
            transport.group().register(channel).syncUninterruptibly();
            try {
                channel.bind(new InetSocketAddress(ip, 0)).syncUninterruptibly();
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                List<Path> tables = new ArrayList<>();
                for (Path table : List.of(UDP4, UDP6)) {
                    if (Files.isReadable(table) && listsPort(table, port)) {
                        tables.add(table);
                    }
                }
                return tables;
            } finally {
                channel.close().syncUninterruptibly();
            }
        } finally {
            transport.shutdown();
        }
    }

    /** Whether a socket of the table is bound to {@code port}: local_address is "HEXIP:HEXPORT". */
    private static boolean listsPort(Path table, int port) throws IOException {
        String suffix = String.format(Locale.ROOT, ":%04X", port);
        List<String> lines = Files.readAllLines(table);
        return lines.stream().skip(1).map(String::trim).map(l -> l.split("\\s+"))
                .anyMatch(f -> f.length > 1 && f[1].endsWith(suffix));
    }
}
