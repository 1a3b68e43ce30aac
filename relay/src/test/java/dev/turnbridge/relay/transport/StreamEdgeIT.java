package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.AttributeType;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The edge of TURN over TCP/TLS (issue 10): connections capped per address at accept, clients that stop
 * reading closed, PROXY protocol v2 from a trusted balancer (headers written here, byte by byte per spec).
 */
class StreamEdgeIT {
    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland";
    private static NettyTransport transport;
    private RelayServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, "edge-it", true);
    }

    @AfterAll
    static void stopLoops() {
        transport.shutdown();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closed by the server
            }
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(String... extra) {
        List<String> flags = new ArrayList<>(List.of("signaling.access=open",
                "listeners.udp=127.0.0.1:0", "listeners.tcp=127.0.0.1:0", "listeners.tls=[::1]:0",
                "auth.secrets=it-secret", "auth.static-users=" + USER + ":" + PASSWORD,
                "peers.allow=127.0.0.0/8,::1/128", "relay.address-v6="));
        flags.addAll(List.of(extra));
        Settings settings = SettingsLoader.load(null, Map.of(), flags);
        server = new RelayServer(settings, Clock.systemUTC(), transport);
        server.start();
    }

    private InetSocketAddress tcp() {
        return server.tcpAddresses().get(0);
    }

    private Socket connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        closeables.add(s);
        s.connect(to, 5000);
        return s;
    }

    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(1);
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** Closed by the server: end of stream, or a reset when it closed with our bytes unread. */
    private static void assertClosed(Socket socket, String what) throws IOException {
        socket.setSoTimeout(10_000);
        int read;
        try {
            read = socket.getInputStream().read();
        } catch (SocketException reset) {
            read = -1;
        }
        assertThat(read).as(what).isEqualTo(-1);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    /** Issue 10 #9: 1000 silent TCP connections were all accepted; over the cap they are closed at accept. */
    @Test
    void silentConnectionsOverThePerAddressCapAreClosedAtAccept() throws Exception {
        start("listeners.connections-per-ip=16");
        List<Socket> open = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            open.add(connect(tcp()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (open.size() > 16 && System.nanoTime() < deadline) {
            for (Iterator<Socket> it = open.iterator(); it.hasNext(); ) {
                if (closedByServer(it.next())) {
                    it.remove();
                }
            }
        }
        assertThat(open).as("connections left open").hasSize(16);
        assertThat(server.context().stats().streamConnectionsRefused.sum()).isEqualTo(284);
        // the ones kept are served; closing them frees their places
        StreamTurnClient kept = StreamTurnClient.over(open.get(0), USER, PASSWORD);
        assertThat(kept.request(0x001, b -> { }).isSuccess()).isTrue();
        for (Socket s : open) {
            s.close();
        }
        Thread.sleep(300);
        StreamTurnClient again = StreamTurnClient.over(connect(tcp()), USER, PASSWORD);
        assertThat(again.allocate(b -> { }).errorCode()).isZero();
    }

    /** Issue 10 #8 (relay streams): a client that stops reading is closed after the stall timeout and counted. */
    @Test
    void clientThatStopsReadingIsClosedAndCounted() throws Exception {
        start("listeners.stream-write-buffer=65536", "listeners.stream-stall-timeout=1s");
        RelayStats stats = server.context().stats();
        StreamTurnClient client = StreamTurnClient.tcp(tcp(), USER, PASSWORD, 4096);
        closeables.add(client);
        DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(peer);
        InetSocketAddress relayed = client.allocate(b -> { }).relayed().get(0);
        assertThat(client.channelBind(0x4000, (InetSocketAddress) peer.getLocalSocketAddress()).isSuccess()).isTrue();

        // the client reads nothing from here on; the peer sends, paced, bounded in count and time
        byte[] payload = new byte[1200];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int sent = 0;
        while (sent < 200_000 && stats.streamStalled.sum() == 0 && System.nanoTime() < deadline) {
            peer.send(new DatagramPacket(payload, payload.length, relayed));
            if (++sent % 100 == 0) {
                Thread.sleep(5);
            }
        }
        assertThat(stats.streamStalled.sum()).as("closed as stalled").isEqualTo(1);
        await("its allocation ended with it", () -> server.allocationCount() == 0 && server.relayPortsInUse() == 0);
        assertThat(stats.dataDropped.sum()).as("peer data beyond the buffer was dropped meanwhile").isPositive();
    }

    private static byte[] proxyV2(String command, InetSocketAddress client, InetSocketAddress server) {
        boolean v6 = client.getAddress().getAddress().length == 16;
        int addressLength = v6 ? 36 : 12;
        ByteBuffer b = ByteBuffer.allocate(16 + addressLength);
        // the v2 signature, then version 2 and the command, family and transport, length (proxy-protocol.txt §2.2)
        b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.put((byte) (command.equals("LOCAL") ? 0x20 : 0x21));
        b.put((byte) (v6 ? 0x21 : 0x11)); // TCP over IPv6 / IPv4
        b.putShort((short) addressLength);
        b.put(client.getAddress().getAddress());
        b.put(server.getAddress().getAddress());
        b.putShort((short) client.getPort());
        b.putShort((short) server.getPort());
        return b.array();
    }

    private Socket viaBalancer(InetSocketAddress listener, byte[] header) throws IOException {
        Socket s = connect(listener);
        s.getOutputStream().write(header);
        s.getOutputStream().flush();
        return s;
    }

    /** Issue 10 #7 (relay): behind an L4 balancer the header's client is the one the relay sees. */
    @Test
    void proxyProtocolV2GivesTheRealClientToXorMappedAddressNoncesAndTheCap() throws Exception {
        start("listeners.proxy-protocol=127.0.0.1:0", "listeners.proxy-protocol-sources=127.0.0.0/8",
                "listeners.connections-per-ip=2");
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 40000);
        StreamTurnClient c = StreamTurnClient.over(viaBalancer(tcp(), proxyV2("PROXY", client, tcp())), USER, PASSWORD);

        var binding = c.request(0x001, b -> { });
        assertThat(binding.isSuccess()).isTrue();
        assertThat(binding.address(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(client);
        assertThat(c.allocate(b -> { }).errorCode()).as("nonce bound to the real client verifies").isZero();

        // IPv6 clients too
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 4711);
        StreamTurnClient c6 = StreamTurnClient.over(viaBalancer(tcp(), proxyV2("PROXY", v6,
                new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 3478))), USER, PASSWORD);
        assertThat(c6.request(0x001, b -> { }).address(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(v6);

        // the per-address cap counts clients, not the balancer: 198.51.100.7 has 1, a second is let in, a third not
        StreamTurnClient second = StreamTurnClient.over(viaBalancer(tcp(), proxyV2("PROXY", client, tcp())), USER, PASSWORD);
        assertThat(second.request(0x001, b -> { }).isSuccess()).isTrue();
        assertClosed(viaBalancer(tcp(), proxyV2("PROXY", client, tcp())), "third connection of one client");
        for (int i = 1; i <= 4; i++) { // while other clients through the same balancer are served
            InetSocketAddress other = new InetSocketAddress(InetAddress.getByName("203.0.113." + i), 5000);
            StreamTurnClient o = StreamTurnClient.over(viaBalancer(tcp(), proxyV2("PROXY", other, tcp())), USER, PASSWORD);
            assertThat(o.request(0x001, b -> { }).address(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(other);
        }
        assertThat(server.context().stats().streamConnectionsRefused.sum()).isEqualTo(1);

        // LOCAL (the balancer's health check): the connection's own address
        Socket local = viaBalancer(tcp(), proxyV2("LOCAL", client, tcp()));
        var health = StreamTurnClient.over(local, USER, PASSWORD).request(0x001, b -> { });
        assertThat(health.address(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(local.getLocalSocketAddress());
    }

    @Test
    void proxyProtocolOverTls() throws Exception {
        start("listeners.tcp=", "listeners.tls=127.0.0.1:0", "listeners.proxy-protocol=127.0.0.1:0",
                "listeners.proxy-protocol-sources=127.0.0.1");
        InetSocketAddress tls = server.tlsAddresses().get(0);
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("198.51.100.9"), 1234);
        StreamTurnClient c = StreamTurnClient.tlsOver(viaBalancer(tls, proxyV2("PROXY", client, tls)), USER, PASSWORD);
        assertThat(c.request(0x001, b -> { }).address(AttributeType.XOR_MAPPED_ADDRESS)).isEqualTo(client);
        assertThat(c.allocate(b -> { }).errorCode()).isZero();
    }

    @Test
    void proxyProtocolListenerClosesWhatIsNotAValidV2HeaderFromATrustedSource() throws Exception {
        start("listeners.proxy-protocol=127.0.0.1:0", "listeners.proxy-protocol-sources=127.0.0.1",
                "listeners.allocation-timeout=1s");
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 40000);
        byte[] binding = new byte[20];
        ByteBuffer.wrap(binding).putShort((short) 1).putShort((short) 0).putInt(0x2112A442).putInt(1).putLong(2);
        byte[] corrupt = proxyV2("PROXY", client, tcp());
        corrupt[12] = 0x31; // version 3
        List<byte[]> bad = List.of(
                binding, // STUN without a header
                "PROXY TCP4 198.51.100.7 127.0.0.1 40000 3478\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                corrupt,
                new byte[0]); // nothing at all: the deadline
        for (byte[] b : bad) {
            assertClosed(viaBalancer(tcp(), b), b.length + " bytes");
        }
        assertThat(server.context().stats().proxyHeaderRefused.sum()).isEqualTo(4);

        // a balancer outside the trusted sources
        server.close();
        start("listeners.proxy-protocol=127.0.0.1:0", "listeners.proxy-protocol-sources=10.0.0.0/8");
        assertClosed(viaBalancer(tcp(), proxyV2("PROXY", client, tcp())), "from an untrusted source");
        assertThat(server.context().stats().proxyHeaderRefused.sum()).isEqualTo(1);
        // the plain listeners are not affected
        assertThat(server.tlsAddresses()).hasSize(1);
    }
}
