package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.Ipv6Loopback;
import dev.turnbridge.relay.testing.MutableClock;
import java.io.IOException;
import java.io.InputStream;
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
import org.junit.jupiter.params.provider.ValueSource;

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
        return Ipv6Loopback.available();
    }

    private RelayServer start(String... extra) {
        return start(Clock.systemUTC(), extra);
    }

    private RelayServer start(Clock clock, String... extra) {
        List<String> flags = new ArrayList<>(List.of("signaling.access=open",
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
        if (ipv6) {
            Ipv6Loopback.require("this IPv6 case");
        }
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
        // positive control: the same client, TLS 1.2 and a forward-secret AEAD suite, gets through
        String[] strong = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"};
        try (SSLSocket s = tls12Socket(ssl, strong)) {
            s.startHandshake();
            assertThat(s.getSession().getCipherSuite()).isIn((Object[]) strong);
        }
        for (String weak : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256")) {
            // the client offers it (its JDK does not refuse it first), and the server answers with an alert
            assertThat(ssl.getSupportedSSLParameters().getCipherSuites()).as("client JDK supports").contains(weak);
            try (SSLSocket s = tls12Socket(ssl, weak)) {
                assertThatThrownBy(s::startHandshake).as(weak).isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                        .hasMessageContaining("Received fatal alert");
            }
        }
    }

    private SSLSocket tls12Socket(javax.net.ssl.SSLContext ssl, String... suites) throws IOException {
        SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket();
        s.connect(listener("tls", false), 5000);
        s.setSoTimeout(5000);
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        s.setEnabledCipherSuites(suites);
        return s;
    }

    @Test
    void dualAllocationRelaysToBothFamilies() throws Exception {
        Ipv6Loopback.require("this IPv6 case");
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
        Ipv6Loopback.require("this IPv6 case");
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
            long created = i + 1;
            connect(i % 2 == 0 ? "tcp" : "tls13", false).allocateAndDie(
                    () -> stats.allocationsCreated.sum() == created);
        }

        await("every allocation ended", () -> server.allocationCount() == 0
                && server.context().ports().inUse() == 0
                && stats.ended(AllocationListener.EndReason.CONNECTION_CLOSED) == 20);
        assertThat(stats.allocationsCreated.sum()).isEqualTo(20);
        assertThat(stats.ended(AllocationListener.EndReason.SHUTDOWN)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void closeNotifyIsAnsweredAtOnceAndEndsTheAllocation(String protocol) throws Exception {
        start();
        RelayStats stats = server.context().stats();
        DatagramSocket peer = peer(false);
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        TlsEngineConnection tls = TlsEngineConnection.open(listener("tls13", false), protocol);
        closeables.add(tls);
        assertThat(tls.protocol()).isEqualTo(protocol);
        StreamTurnClient client = StreamTurnClient.over(tls, USER, PASSWORD);
        InetSocketAddress relayed = client.allocate(b -> { }).relayed().get(0);
        assertThat(client.createPermission(peerAddress).isSuccess()).isTrue();
        assertThat(client.channelBind(0x4001, peerAddress).isSuccess()).isTrue();
        assertThat(server.allocations().get(5, TimeUnit.SECONDS)).singleElement()
                .satisfies(info -> assertThat(info.relayed()).isEqualTo(relayed));
        assertThat(stats.permissionsActive.sum()).isEqualTo(1);
        assertThat(stats.channelsActive.sum()).isEqualTo(1);

        tls.sendCloseNotify(); // and nothing else: no FIN from our side

        assertThat(tls.awaitCloseNotify(1000)).as("the server's close_notify, within 1 s").isTrue();
        assertThat(tls.awaitTcpEnd(1000)).as("then the server closes the connection").isTrue();
        await("allocation, permission and channel ended", () -> server.allocationCount() == 0
                && server.context().ports().inUse() == 0
                && stats.permissionsActive.sum() == 0 && stats.channelsActive.sum() == 0);
        assertThat(server.allocations().get(5, TimeUnit.SECONDS)).as("operators' view").isEmpty();
        assertThat(stats.ended(AllocationListener.EndReason.CONNECTION_CLOSED)).isEqualTo(1);
        assertThat(stats.active(FiveTuple.Transport.TLS, 0)).isZero();
        new DatagramSocket(relayed).close(); // the relay port is really closed
    }

    /** A command line TLS client: `openssl s_client`, then Q on its own line, which sends close_notify. */
    @Test
    void opensslClientQuittingClosesAtOnce() throws Exception {
        assertThat(onPath("openssl")).as("openssl on PATH (scripts/test installs it)").isTrue();
        start();
        InetSocketAddress address = listener("tls13", false);
        Process openssl = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + address.getPort(),
                "-alpn", TlsCertificate.ALPN_TURN, "-msg").redirectErrorStream(true).start();
        StringBuffer output = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (InputStream in = openssl.getInputStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            await("s_client connected", () -> output.indexOf("ALPN protocol: " + TlsCertificate.ALPN_TURN) >= 0);
            openssl.getOutputStream().write("Q\n".getBytes(StandardCharsets.US_ASCII));
            openssl.getOutputStream().flush();
            assertThat(openssl.waitFor(5, TimeUnit.SECONDS)).as("s_client ends at once").isTrue();
            reader.join(5000);
            assertThat(openssl.exitValue()).as(output.toString()).isZero();
            assertThat(output.toString()).as("Q sent close_notify").contains("close_notify");
        } finally {
            openssl.destroyForcibly();
        }
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(dir -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, command)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "tls12", "tls13"})
    void allocateWhoseConnectionClosedIsAbandonedNotCountedAs508(String kind) throws Exception {
        start();
        RelayStats stats = server.context().stats();
        int allocates = 20;
        for (int i = 0; i < allocates; i++) {
            connect(kind, false).allocateAndLeave();
        }

        // each Allocate either won the race (an allocation, ended with its connection) or found the client gone
        int allocate = RelayStats.methodIndex(StunMethod.ALLOCATE);
        await("every Allocate accounted for", () -> server.allocationCount() == 0
                && server.context().ports().inUse() == 0
                && stats.allocationsCreated.sum() + stats.abandonedRequests(allocate) == allocates);
        assertThat(stats.errors(ErrorCode.INSUFFICIENT_CAPACITY)).as("508s never sent").isZero();
        assertThat(stats.responses(allocate, false)).as("no Allocate error sent").isZero();
        assertThat(stats.abandonedRequests(allocate)).as("the race is mostly lost by the client").isPositive();
        assertThat(stats.ended(AllocationListener.EndReason.CONNECTION_CLOSED)).isEqualTo(stats.allocationsCreated.sum());
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
