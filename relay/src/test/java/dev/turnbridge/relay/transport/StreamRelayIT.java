package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.testing.MutableClock;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** TURN over TCP and TLS, IPv4 and IPv6, on loopback: allocation, permission, channels, data both ways. */
class StreamRelayIT {
    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland";
    private static NettyTransport transport;
    private RelayServer server;
    private List<InetSocketAddress> udpBound;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, "stream-it", true);
    }

    @AfterAll
    static void stopLoops() {
        transport.shutdown();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static boolean ipv6Loopback() {
        try {
            NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getByName("::1"));
            return lo != null;
        } catch (IOException e) {
            return false;
        }
    }

    private RelayServer start(String... extra) {
        return start(Clock.systemUTC(), extra);
    }

    private RelayServer start(Clock clock, String... extra) {
        List<String> flags = new ArrayList<>(List.of(
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0" + (ipv6Loopback() ? ",[::1]:0" : ""),
                "listeners.tls=127.0.0.1:0" + (ipv6Loopback() ? ",[::1]:0" : ""),
                "auth.secrets=it-secret", "auth.static-users=" + USER + ":" + PASSWORD,
                "peers.allow=127.0.0.0/8,::1/128",
                "relay.address-v6=" + (ipv6Loopback() ? "::1" : "")));
        flags.addAll(List.of(extra));
        Settings settings = SettingsLoader.load(null, Map.of(), flags);
        server = new RelayServer(settings, clock, transport);
        udpBound = server.start();
        return server;
    }

    private InetSocketAddress listener(String kind, boolean ipv6) {
        List<InetSocketAddress> bound = kind.equals("tcp") ? server.tcpAddresses() : server.tlsAddresses();
        return bound.stream().filter(a -> (a.getAddress() instanceof Inet6Address) == ipv6).findFirst().orElseThrow();
    }

    private StreamTurnClient connect(String kind, boolean ipv6) throws Exception {
        InetSocketAddress address = listener(kind, ipv6);
        StreamTurnClient c = switch (kind) {
            case "tcp" -> StreamTurnClient.tcp(address, USER, PASSWORD, 0);
            case "tls12" -> StreamTurnClient.tls(address, USER, PASSWORD, "TLSv1.2", TlsCertificate.ALPN_TURN);
            default -> StreamTurnClient.tls(address, USER, PASSWORD, "TLSv1.3", TlsCertificate.ALPN_TURN);
        };
        closeables.add(c);
        return c;
    }

    private DatagramSocket peer(boolean ipv6) throws SocketException, IOException {
        DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ipv6 ? "::1" : "127.0.0.1"), 0));
        peer.setSoTimeout(5000);
        closeables.add(peer);
        return peer;
    }

    private static DatagramPacket receive(DatagramSocket peer) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        peer.receive(p);
        return p;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    static Stream<Arguments> transportsAndFamilies() {
        return Stream.of(
                Arguments.of("tcp", false), Arguments.of("tcp", true),
                Arguments.of("tls12", false), Arguments.of("tls13", false),
                Arguments.of("tls13", true), Arguments.of("tls12", true));
    }

    @ParameterizedTest(name = "{0} ipv6={1}")
    @MethodSource("transportsAndFamilies")
    void relaysBothWaysWithIndicationsAndChannels(String kind, boolean ipv6) throws Exception {
        assumeTrue(!ipv6 || ipv6Loopback(), "::1 is not configured");
        start();
        StreamTurnClient client = connect(kind, ipv6);
        DatagramSocket peer = peer(ipv6);
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();

        var allocated = client.allocate(ipv6 ? StreamTurnClient.requestedFamily(2) : b -> { });
        assertThat(allocated.errorCode()).isZero();
        InetSocketAddress relayed = allocated.relayed().get(0);
        assertThat(relayed.getAddress() instanceof Inet6Address).isEqualTo(ipv6);
        assertThat(allocated.address(0x0020)).isEqualTo(client.socket().getLocalSocketAddress());
        assertThat(client.createPermission(peerAddress).isSuccess()).isTrue();

        client.sendIndication(peerAddress, bytes("hello"));
        DatagramPacket p = receive(peer);
        assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(p.getPort()).isEqualTo(relayed.getPort());
        peer.send(new DatagramPacket(bytes("world"), 5, p.getSocketAddress()));
        StreamTurnClient.Data data = client.receive();
        assertThat(data.peer()).isEqualTo(peerAddress);
        assertThat(data.payload()).isEqualTo(bytes("world"));

        assertThat(client.channelBind(0x4001, peerAddress).isSuccess()).isTrue();
        for (String s : List.of("a", "ab", "abc", "abcd", "abcde")) { // every padding length
            client.sendChannelData(0x4001, bytes(s));
            p = receive(peer);
            assertThat(Arrays.copyOf(p.getData(), p.getLength())).isEqualTo(bytes(s));
            peer.send(new DatagramPacket(bytes(s + "!"), s.length() + 1, p.getSocketAddress()));
            data = client.receive();
            assertThat(data.channel()).isEqualTo(0x4001);
            assertThat(data.payload()).isEqualTo(bytes(s + "!"));
        }
        if (kind.startsWith("tls")) {
            assertThat(((SSLSocket) client.socket()).getApplicationProtocol()).isEqualTo(TlsCertificate.ALPN_TURN);
        }
    }

    @Test
    void tlsServesClientsWithoutAlpnAndAnswersStunBinding() throws Exception {
        start();
        StreamTurnClient client = StreamTurnClient.tls(listener("tls", false), USER, PASSWORD, "TLSv1.3");
        closeables.add(client);

        var reply = client.request(0x001, b -> { });

        assertThat(reply.isSuccess()).isTrue();
        assertThat(reply.address(0x0020)).isEqualTo(client.socket().getLocalSocketAddress());
        assertThat(((SSLSocket) client.socket()).getApplicationProtocol()).isEmpty();
    }

    @Test
    void tlsRefusesSuitesWithoutForwardSecrecyOrAead() throws Exception {
        start();
        javax.net.ssl.SSLContext ssl = StreamTurnClient.trustingContext();
        for (String weak : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256")) {
            try (SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket()) {
                s.connect(listener("tls", false), 5000);
                s.setSoTimeout(5000);
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                s.setEnabledCipherSuites(new String[] {weak});
                assertThatThrownBy(s::startHandshake).as(weak).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void dualAllocationRelaysToBothFamilies() throws Exception {
        assumeTrue(ipv6Loopback(), "::1 is not configured");
        start();
        StreamTurnClient client = connect("tcp", false);
        DatagramSocket peer4 = peer(false);
        DatagramSocket peer6 = peer(true);

        var allocated = client.allocate(StreamTurnClient.additionalFamily(2));

        assertThat(allocated.errorCode()).isZero();
        assertThat(allocated.addressErrorCode()).isNull();
        List<InetSocketAddress> relayed = allocated.relayed();
        assertThat(relayed).hasSize(2);
        assertThat(relayed.get(0).getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(relayed.get(1).getAddress()).isEqualTo(InetAddress.getByName("::1"));
        for (DatagramSocket peer : List.of(peer4, peer6)) {
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            assertThat(client.createPermission(peerAddress).isSuccess()).isTrue();
            client.sendIndication(peerAddress, bytes("hi"));
            DatagramPacket p = receive(peer);
            int expectedPort = relayed.get(peer == peer4 ? 0 : 1).getPort();
            assertThat(p.getPort()).isEqualTo(expectedPort);
        }
        assertThat(server.context().ports().inUse()).isEqualTo(2);
        assertThat(client.request(0x004, StreamTurnClient.requestedFamily(2).andThen(b -> b.lifetime(600)))
                .isSuccess()).isTrue();
        client.close();
        await("both relay ports freed", () -> server.context().ports().inUse() == 0);
    }

    @Test
    void withoutIpv6RelayRequestedIpv6Is440AndDualFallsBackToIpv4() throws Exception {
        start("relay.address-v6=");
        StreamTurnClient client = connect("tcp", false);

        assertThat(client.allocate(StreamTurnClient.requestedFamily(2)).errorCode()).isEqualTo(440);
        var dual = client.allocate(StreamTurnClient.additionalFamily(2));

        assertThat(dual.errorCode()).isZero();
        assertThat(dual.relayed()).hasSize(1);
        assertThat(dual.relayed().get(0).getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(dual.addressErrorCode()).containsExactly(2, 440);
    }

    @Test
    void familyAttributesThatContradictEachOtherAre400() throws Exception {
        start();
        StreamTurnClient client = connect("tcp", false);

        assertThat(client.allocate(StreamTurnClient.requestedFamily(1).andThen(StreamTurnClient.additionalFamily(2)))
                .errorCode()).isEqualTo(400);
        assertThat(client.allocate(StreamTurnClient.additionalFamily(1)).errorCode()).isEqualTo(400);
        assertThat(client.allocate(StreamTurnClient.requestedFamily(3)).errorCode()).isEqualTo(440);
    }

    @Test
    void peerOfTheOtherFamilyIs443() throws Exception {
        assumeTrue(ipv6Loopback(), "::1 is not configured");
        start();
        StreamTurnClient client = connect("tcp", false);
        assertThat(client.allocate(b -> { }).errorCode()).isZero();

        assertThat(client.createPermission(new InetSocketAddress("::1", 9)).errorCode()).isEqualTo(443);
        assertThat(client.request(0x004, StreamTurnClient.requestedFamily(2)).errorCode()).isEqualTo(443);
    }

    @Test
    void allocationEndsWithItsConnection() throws Exception {
        start();
        RelayStats stats = server.context().stats();
        StreamTurnClient client = connect("tcp", false);
        InetSocketAddress relayed = client.allocate(b -> { }).relayed().get(0);
        assertThat(server.allocationCount()).isEqualTo(1);
        // operators see allocations held by connections as well as by UDP server sockets
        assertThat(server.allocations().get(5, TimeUnit.SECONDS)).singleElement().satisfies(info -> {
            assertThat(info.transport()).isEqualTo(FiveTuple.Transport.TCP);
            assertThat(info.relayed()).isEqualTo(relayed);
        });

        client.socket().setSoLinger(true, 0);
        client.close();

        await("allocation ended", () -> server.allocationCount() == 0 && server.context().ports().inUse() == 0);
        assertThat(stats.ended(AllocationListener.EndReason.CONNECTION_CLOSED)).isEqualTo(1);
        // the relay port is really closed: it can be bound again
        new DatagramSocket(relayed).close();
    }

    @Test
    void clientDyingMidAllocationLeavesNothingBehind() throws Exception {
        start();
        RelayStats stats = server.context().stats();
        for (int i = 0; i < 20; i++) {
            connect(i % 2 == 0 ? "tcp" : "tls13", false).allocateAndDie();
        }

        await("every allocation ended", () -> server.allocationCount() == 0
                && server.context().ports().inUse() == 0
                && stats.allocationsCreated.sum() == stats.ended(AllocationListener.EndReason.CONNECTION_CLOSED)
                        + stats.ended(AllocationListener.EndReason.SHUTDOWN));
    }

    @Test
    void slowReaderLosesPeerDataButKeepsItsConnection() throws Exception {
        start("listeners.stream-write-buffer=65536");
        RelayStats stats = server.context().stats();
        StreamTurnClient client = StreamTurnClient.tcp(listener("tcp", false), USER, PASSWORD, 4096);
        closeables.add(client);
        DatagramSocket peer = peer(false);
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        InetSocketAddress relayed = client.allocate(b -> { }).relayed().get(0);
        assertThat(client.channelBind(0x4000, peerAddress).isSuccess()).isTrue();

        // the client reads nothing while the peer sends far more than every buffer on the way holds
        // paced, so that the relay's UDP socket (not the kernel, under a loaded machine) does the dropping;
        // bounded in count and time
        byte[] payload = new byte[1200];
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        int sent = 0;
        while (sent < 100_000 && stats.dataDropped.sum() == 0 && System.nanoTime() < deadline) {
            peer.send(new DatagramPacket(payload, payload.length, relayed));
            if (++sent % 100 == 0) {
                Thread.sleep(5);
            }
        }
        assertThat(stats.dataDropped.sum()).as("peer packets dropped for the slow reader").isPositive();
        long toClientBytes = stats.traffic(FiveTuple.Transport.TCP).bytesToClient.sum();
        assertThat(toClientBytes).as("what was queued stayed bounded").isLessThan((long) sent * 1200);

        // it catches up: requests are still answered and its data still reaches the peer
        assertThat(client.refresh(600).isSuccess()).isTrue();
        client.sendChannelData(0x4000, bytes("still here"));
        DatagramPacket p = receive(peer);
        assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).isEqualTo("still here");
    }

    @Test
    void evenPortTakenByAnotherProcessIsReplacedByAnotherEvenPort() throws Exception {
        // a relay range of two even ports, the first held outside the relay (as an ephemeral port may be)
        DatagramSocket foreign = null;
        int first = -1;
        for (int i = 0; i < 50 && foreign == null; i++) {
            DatagramSocket probe = new DatagramSocket(0);
            int p = probe.getLocalPort() & ~1;
            probe.close();
            try (DatagramSocket second = new DatagramSocket(p + 2)) {
                foreign = new DatagramSocket(p);
                first = p;
            } catch (SocketException taken) {
                // try another pair
            }
        }
        assertThat(foreign).as("a free pair of even ports").isNotNull();
        closeables.add(foreign);
        start("relay.port-min=" + first, "relay.port-max=" + (first + 2), "relay.address=0.0.0.0");
        StreamTurnClient client = connect("tcp", false);

        for (int i = 0; i < 8; i++) { // the pool picks at random: each round tries the held port half the time
            var reply = client.allocate(b -> b.add(0x0018, new byte[] {0})); // EVEN-PORT, R bit clear
            assertThat(reply.errorCode()).isZero();
            assertThat(reply.relayed().get(0).getPort()).isEqualTo(first + 2);
            assertThat(client.refresh(0).isSuccess()).isTrue();
        }
    }

    /** Issue 10 #9: Bindings no longer keep a connection without an allocation open. */
    @Test
    void connectionWithoutAllocationIsClosedAtTheDeadlineWhateverBindingsItSends() throws Exception {
        MutableClock clock = MutableClock.now();
        start(clock, "listeners.allocation-timeout=30s");
        StreamTurnClient bindingOnly = connect("tcp", false);
        StreamTurnClient allocated = connect("tcp", false);
        assertThat(allocated.allocate(b -> { }).errorCode()).isZero();
        for (int i = 0; i < 5; i++) { // a Binding every 7 s: each one used to restart the clock
            assertThat(bindingOnly.request(0x001, b -> { }).isSuccess()).isTrue();
            clock.advance(Duration.ofSeconds(7));
            Thread.sleep(1100); // let the once-a-second sweep see the time
            if (i < 4) {
                assertThat(allocated.refresh(600).isSuccess()).isTrue();
            }
        }
        bindingOnly.socket().setSoTimeout(5000);
        assertThat(bindingOnly.socket().getInputStream().read()).as("closed by the server").isEqualTo(-1);
        assertThat(server.context().stats().streamAllocationTimeouts.sum()).isEqualTo(1);

        // the allocated one stayed; once its allocation ends, its own deadline starts
        assertThat(allocated.refresh(600).isSuccess()).isTrue();
        assertThat(allocated.refresh(0).isSuccess()).isTrue();
        clock.advance(Duration.ofSeconds(29));
        Thread.sleep(1100);
        assertThat(allocated.request(0x001, b -> { }).isSuccess()).as("still open at 29 s").isTrue();
        clock.advance(Duration.ofSeconds(2));
        allocated.socket().setSoTimeout(5000);
        assertThat(allocated.socket().getInputStream().read()).as("closed 30 s after its allocation ended")
                .isEqualTo(-1);
    }

    @Test
    void unframeableStreamIsClosed() throws Exception {
        start();
        try (Socket s = new Socket()) {
            s.connect(listener("tcp", false), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(new byte[] {(byte) 0x80, 0, 0, 0, 1, 2, 3, 4});
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }
}
