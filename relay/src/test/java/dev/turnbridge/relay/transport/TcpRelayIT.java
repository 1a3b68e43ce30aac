package dev.turnbridge.relay.transport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TurnTestClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 6062 TCP allocations on loopback: a control connection allocates and connects (or is told of a peer's
 * connection), a data connection binds, and bytes pass both ways to an in-process TCP peer; the errors of
 * §5.1-5.4, the 30 s timeouts, and peer connections ending with their allocation.
 */
class TcpRelayIT {
    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland";
    private static NettyTransport transport;
    private RelayServer server;
    private List<InetSocketAddress> udpListeners;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, "tcp-relay-it", true);
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
            // every path that ends a peer data connection (closed, timed out, its allocation ended) counts it off
            await("peer connections counted off", () -> server.context().stats().peerConnectionsActive.sum() == 0);
        }
    }

    private void start(String... extra) {
        start(Clock.systemUTC(), extra);
    }

    private void start(Clock clock, String... extra) {
        boolean v6 = StreamRelayIT.ipv6Loopback();
        List<String> flags = new ArrayList<>(List.of("signaling.access=open",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "auth.secrets=it-secret", "auth.static-users=" + USER + ":" + PASSWORD,
                "relay.address=127.0.0.1",
                "relay.address-v6=" + (v6 ? "::1" : ""),
                "peers.allow=127.0.0.0/8,::1/128"));
        flags.addAll(List.of(extra));
        Settings settings = SettingsLoader.load(null, Map.of(), flags);
        server = new RelayServer(settings, clock, transport);
        udpListeners = server.start();
    }

    private StreamTurnClient client(String kind) throws Exception {
        StreamTurnClient c = kind.equals("tcp")
                ? StreamTurnClient.tcp(server.tcpAddresses().get(0), USER, PASSWORD, 0)
                : StreamTurnClient.tls(server.tlsAddresses().get(0), USER, PASSWORD, "TLSv1.3",
                        TlsCertificate.ALPN_TURN);
        closeables.add(c);
        return c;
    }

    /** An in-process TCP peer on 127.0.0.1 that echoes every connection it accepts. */
    private EchoPeer echoPeer() throws IOException {
        EchoPeer peer = new EchoPeer();
        closeables.add(peer);
        return peer;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] readExactly(Socket s, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        InputStream in = s.getInputStream();
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new IOException("EOF after " + off + " of " + n + " bytes");
            }
            off += r;
        }
        return b;
    }

    private static void assertClosed(Socket s) throws IOException {
        s.setSoTimeout(5000);
        try {
            assertThat(s.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            // a reset is a close too
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    /** Connect then ConnectionBind on a new connection: the data connection, ready for raw bytes. */
    private StreamTurnClient connectAndBind(StreamTurnClient control, String kind, InetSocketAddress peer)
            throws Exception {
        StreamTurnClient.Reply connected = control.connect(peer);
        assertThat(connected.errorCode()).as("Connect").isZero();
        long id = connected.connectionId();
        assertThat(id).isPositive();
        StreamTurnClient data = client(kind);
        StreamTurnClient.Reply bound = data.connectionBind(id);
        assertThat(bound.isSuccess()).as("ConnectionBind %d", bound.errorCode()).isTrue();
        return data;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "tls"})
    void clientConnectsToPeerAndBytesPassBothWays(String kind) throws Exception {
        start();
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client(kind);
        StreamTurnClient.Reply allocated = control.allocateTcp(b -> { });
        assertThat(allocated.errorCode()).isZero();
        InetSocketAddress relayed = allocated.relayed().get(0);

        StreamTurnClient data = connectAndBind(control, kind, peer.address());
        assertThat(peer.awaitRemote()).as("the peer sees the relayed address").isEqualTo(relayed);

        OutputStream out = data.socket().getOutputStream();
        out.write(bytes("hello"));
        out.flush();
        assertThat(readExactly(data.socket(), 5)).isEqualTo(bytes("hello"));

        // far more than every buffer on the way holds, written while the echo comes back: order and backpressure
        byte[] big = new byte[4 * 1024 * 1024];
        new Random(1).nextBytes(big);
        Thread writer = new Thread(() -> {
            try {
                out.write(big);
                out.flush();
            } catch (IOException e) {
                // the read below fails then
            }
        });
        writer.start();
        data.socket().setSoTimeout(10_000);
        byte[] echoed = readExactly(data.socket(), big.length);
        writer.join(10_000);
        assertThat(Arrays.equals(echoed, big)).as("4 MiB echoed intact").isTrue();
        assertThat(control.refresh(600).isSuccess()).as("the control connection still answers").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "tls"})
    void peerConnectsToRelayedAddressAndClientIsTold(String kind) throws Exception {
        start();
        StreamTurnClient control = client(kind);
        InetSocketAddress relayed = control.allocateTcp(b -> { }).relayed().get(0);
        assertThat(control.createPermission(new InetSocketAddress("127.0.0.1", 9)).isSuccess()).isTrue();

        Socket peer = new Socket();
        closeables.add(peer);
        peer.connect(relayed, 5000);
        peer.setSoTimeout(5000);
        peer.getOutputStream().write(bytes("early")); // before any bind: the server must keep it

        StreamTurnClient.Reply attempt = control.awaitIndication(StunMethod.CONNECTION_ATTEMPT);
        assertThat(attempt.address(0x0012)).isEqualTo(peer.getLocalSocketAddress());
        StreamTurnClient data = client(kind);
        assertThat(data.connectionBind(attempt.connectionId()).isSuccess()).isTrue();

        assertThat(readExactly(data.socket(), 5)).isEqualTo(bytes("early"));
        data.socket().getOutputStream().write(bytes("welcome"));
        assertThat(readExactly(peer, 7)).isEqualTo(bytes("welcome"));

        // the peer leaves: its client data connection goes with it
        peer.close();
        assertClosed(data.socket());
    }

    @Test
    void peerWithoutPermissionIsTurnedAway() throws Exception {
        start();
        StreamTurnClient control = client("tcp");
        InetSocketAddress relayed = control.allocateTcp(b -> { }).relayed().get(0);

        try (Socket peer = new Socket()) {
            peer.connect(relayed, 5000);
            assertClosed(peer);
        }
    }

    @Test
    void allocationEndClosesPeerAndDataConnections() throws Exception {
        start();
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        InetSocketAddress relayed = control.allocateTcp(b -> { }).relayed().get(0);
        StreamTurnClient data = connectAndBind(control, "tcp", peer.address());
        peer.awaitAccepted();

        assertThat(control.refresh(0).isSuccess()).isTrue();

        assertClosed(data.socket());
        await("the peer's side closed", peer::allClosed);
        await("relay port returned", () -> server.relayPortsInUse() == 0);
        // the relayed address no longer listens
        try (Socket late = new Socket()) {
            assertThat(canConnect(late, relayed)).isFalse();
        }
    }

    @Test
    void controlConnectionClosingEndsEverything() throws Exception {
        start();
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });
        StreamTurnClient data = connectAndBind(control, "tcp", peer.address());

        control.close();

        assertClosed(data.socket());
        await("the peer's side closed", peer::allClosed);
        await("allocation ended", () -> server.allocationCount() == 0 && server.relayPortsInUse() == 0);
    }

    @Test
    void peerConnectionsGetTheConfiguredSocketBuffers() throws Exception {
        start("relay.socket-receive-buffer=524288", "relay.socket-send-buffer=262144");
        long rmemMax = Long.parseLong(java.nio.file.Files.readAllLines(
                java.nio.file.Path.of("/proc/sys/net/core/rmem_max")).get(0).trim());
        long wmemMax = Long.parseLong(java.nio.file.Files.readAllLines(
                java.nio.file.Path.of("/proc/sys/net/core/wmem_max")).get(0).trim());
        SocketMemory expected = new SocketMemory(2 * Math.min(524288, rmemMax), 2 * Math.min(262144, wmemMax));
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        InetSocketAddress relayed = control.allocateTcp(b -> { }).relayed().get(0);
        // one way out (Connect), one way in (a peer connecting to the relayed address)
        StreamTurnClient data = connectAndBind(control, "tcp", peer.address());
        assertThat(control.createPermission(new InetSocketAddress("127.0.0.1", 9)).isSuccess()).isTrue();
        Socket incoming = new Socket();
        closeables.add(incoming);
        incoming.connect(relayed, 5000);
        control.awaitIndication(StunMethod.CONNECTION_ATTEMPT);

        List<SocketMemory> seen = new ArrayList<>();
        Process ss = new ProcessBuilder("ss", "-tmnH", "state", "established", "sport = :" + relayed.getPort())
                .redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("rb(\\d+),t\\d+,tb(\\d+)").matcher(out);
        while (m.find()) {
            seen.add(new SocketMemory(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
        }
        assertThat(seen).as("both peer connections on the relayed port: %s", out).containsExactly(expected, expected);
        assertThat(data.socket().isClosed()).isFalse();
    }

    @Test
    void closeNotifyOnDataThenControlConnectionEndsThemAsAClose() throws Exception {
        start();
        EchoPeer peer = echoPeer();
        TlsEngineConnection controlTls = TlsEngineConnection.open(server.tlsAddresses().get(0), "TLSv1.3");
        closeables.add(controlTls);
        StreamTurnClient control = StreamTurnClient.over(controlTls, USER, PASSWORD);
        assertThat(control.allocateTcp(b -> { }).errorCode()).isZero();
        StreamTurnClient.Reply connected = control.connect(peer.address());
        assertThat(connected.errorCode()).as("Connect").isZero();
        TlsEngineConnection dataTls = TlsEngineConnection.open(server.tlsAddresses().get(0), "TLSv1.3");
        closeables.add(dataTls);
        StreamTurnClient data = StreamTurnClient.over(dataTls, USER, PASSWORD);
        assertThat(data.connectionBind(connected.connectionId()).isSuccess()).isTrue();
        dataTls.out().write(bytes("hello"));
        assertThat(dataTls.in().readNBytes(5)).isEqualTo(bytes("hello"));
        assertThat(server.context().stats().peerConnectionsActive.sum()).isEqualTo(1);

        // the client data connection ends gracefully: answered, closed, and the peer connection with it
        dataTls.sendCloseNotify();
        assertThat(dataTls.awaitCloseNotify(1000)).as("close_notify on the data connection").isTrue();
        assertThat(dataTls.awaitTcpEnd(1000)).isTrue();
        await("the peer's side closed", peer::allClosed);
        await("peer connection counted off", () -> server.context().stats().peerConnectionsActive.sum() == 0);
        assertThat(server.allocationCount()).as("the allocation belongs to the control connection").isEqualTo(1);

        controlTls.sendCloseNotify();
        assertThat(controlTls.awaitCloseNotify(1000)).as("close_notify on the control connection").isTrue();
        assertThat(controlTls.awaitTcpEnd(1000)).isTrue();
        await("allocation ended", () -> server.allocationCount() == 0 && server.relayPortsInUse() == 0);
        assertThat(server.context().stats().ended(AllocationListener.EndReason.CONNECTION_CLOSED)).isEqualTo(1);
    }

    private static boolean canConnect(Socket s, InetSocketAddress to) {
        try {
            s.connect(to, 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void secondConnectToTheSamePeerIs446() throws Exception {
        start();
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });

        assertThat(control.connect(peer.address()).errorCode()).isZero();
        assertThat(control.connect(peer.address()).errorCode()).isEqualTo(446);
    }

    @Test
    void refusedConnectionIs447() throws Exception {
        start();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });

        assertThat(control.connect(new InetSocketAddress("127.0.0.1", closedPort)).errorCode()).isEqualTo(447);
        // the failed attempt is forgotten: the same peer may be tried again
        assertThat(control.connect(new InetSocketAddress("127.0.0.1", closedPort)).errorCode()).isEqualTo(447);
    }

    @Test
    void connectionNotBoundWithin30sIsClosed() throws Exception {
        MutableClock clock = MutableClock.now();
        start(clock);
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });
        long id = control.connect(peer.address()).connectionId();
        peer.awaitAccepted();

        clock.advance(Duration.ofSeconds(31));

        await("the peer's side closed", peer::allClosed);
        StreamTurnClient data = client("tcp");
        assertThat(data.connectionBind(id).errorCode()).isEqualTo(400);
        // and the peer may be connected again
        assertThat(control.connect(peer.address()).errorCode()).isZero();
    }

    @Test
    void defaultPolicyRefusesTheHostItselfAsAPeer() throws Exception {
        // the coturn CVE-2020-26262 case: 0.0.0.0 and friends reach services on the relay host
        start("peers.allow=");
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });
        int service = server.tcpAddresses().get(0).getPort(); // something does listen there
        for (String ip : List.of("0.0.0.0", "127.0.0.1", "127.1.2.3", "::ffff:127.0.0.1", "::ffff:0.0.0.0",
                "10.0.0.1", "169.254.169.254")) {
            assertThat(control.connect(new InetSocketAddress(InetAddress.getByName(ip), service)).errorCode())
                    .as(ip).isEqualTo(403);
        }
        if (StreamRelayIT.ipv6Loopback()) {
            StreamTurnClient v6 = client("tcp");
            assertThat(v6.allocateTcp(StreamTurnClient.requestedFamily(2)).errorCode()).isZero();
            for (String ip : List.of("::", "::1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "fe80::1")) {
                assertThat(v6.connect(new InetSocketAddress(InetAddress.getByName(ip), service)).errorCode())
                        .as(ip).isEqualTo(403);
            }
        }
    }

    @Test
    void requestErrors() throws Exception {
        start();
        StreamTurnClient control = client("tcp");
        InetSocketAddress somePeer = new InetSocketAddress("127.0.0.1", 9);

        assertThat(control.connect(somePeer).errorCode()).as("Connect without allocation").isEqualTo(437);
        assertThat(control.allocateTcp(b -> b.add(0x0018, new byte[] {0})).errorCode()).as("EVEN-PORT")
                .isEqualTo(400);
        assertThat(control.allocateTcp(b -> b.add(0x001A, new byte[0])).errorCode()).as("DONT-FRAGMENT")
                .isEqualTo(400);
        assertThat(control.allocateTcp(b -> { }).errorCode()).isZero();
        assertThat(control.channelBind(0x4000, somePeer).errorCode()).as("ChannelBind on TCP").isEqualTo(400);
        assertThat(control.request(StunMethod.CONNECT, b -> { }).errorCode()).as("no XOR-PEER-ADDRESS")
                .isEqualTo(400);
        assertThat(control.connectionBind(12345).errorCode()).as("ConnectionBind on the control connection")
                .isEqualTo(400);
        if (StreamRelayIT.ipv6Loopback()) {
            assertThat(control.connect(new InetSocketAddress("::1", 9)).errorCode()).isEqualTo(443);
        }

        StreamTurnClient other = client("tcp");
        assertThat(other.connectionBind(12345).errorCode()).as("unknown CONNECTION-ID").isEqualTo(400);
        assertThat(other.request(StunMethod.CONNECTION_BIND, b -> { }).errorCode()).as("no CONNECTION-ID")
                .isEqualTo(400);

        StreamTurnClient udpAllocation = client("tcp");
        assertThat(udpAllocation.allocate(b -> { }).errorCode()).isZero();
        assertThat(udpAllocation.connect(somePeer).errorCode()).as("Connect on a UDP allocation").isEqualTo(400);
    }

    @Test
    void tcpAllocationOverUdpIs400() throws Exception {
        start();
        try (TurnTestClient udp = new TurnTestClient(udpListeners.get(0))) {
            udp.credentials(USER, PASSWORD);
            StunMessage reply = udp.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(6));
            assertThat(reply.errorCode()).isEqualTo(400);
        }
    }

    @Test
    void tcpAllocationsCanBeSwitchedOff() throws Exception {
        start("relay.tcp-allocations=false");
        StreamTurnClient control = client("tcp");
        assertThat(control.allocateTcp(b -> { }).errorCode()).isEqualTo(442);
    }

    @Test
    void connectionBindOfAnotherUserIs400() throws Exception {
        start("auth.static-users=" + USER + ":" + PASSWORD + ",bob:builder");
        EchoPeer peer = echoPeer();
        StreamTurnClient control = client("tcp");
        control.allocateTcp(b -> { });
        long id = control.connect(peer.address()).connectionId();

        StreamTurnClient bob = StreamTurnClient.tcp(server.tcpAddresses().get(0), "bob", "builder", 0);
        closeables.add(bob);
        assertThat(bob.connectionBind(id).errorCode()).isEqualTo(400);
        StreamTurnClient data = client("tcp");
        assertThat(data.connectionBind(id).isSuccess()).as("still there for its owner").isTrue();
    }

    /** A TCP echo server on 127.0.0.1, one thread per connection, bounded by the test's life. */
    private static final class EchoPeer implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        private final List<Socket> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> threads = new ArrayList<>();

        EchoPeer() throws IOException {
            Thread acceptor = new Thread(this::accept, "echo-peer");
            acceptor.setDaemon(true);
            acceptor.start();
            threads.add(acceptor);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.getLocalSocketAddress();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    accepted.add(s);
                    Thread echo = new Thread(() -> echo(s), "echo-peer-conn");
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void echo(Socket s) {
            byte[] buf = new byte[16384];
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // the relay closed
            }
        }

        Socket awaitAccepted() throws InterruptedException {
            for (int i = 0; i < 100 && accepted.isEmpty(); i++) {
                Thread.sleep(50);
            }
            assertThat(accepted).as("a connection reached the peer").isNotEmpty();
            return accepted.get(0);
        }

        InetSocketAddress awaitRemote() throws InterruptedException {
            return (InetSocketAddress) awaitAccepted().getRemoteSocketAddress();
        }

        /** Every accepted connection was closed (by the relay, which the echo thread then mirrors). */
        boolean allClosed() {
            synchronized (accepted) {
                return !accepted.isEmpty() && accepted.stream().allMatch(Socket::isClosed);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
