package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.stun.StunMethod;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.bouncycastle.tls.CipherSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TURN over DTLS 1.2 (RFC 7350) on loopback with Bouncy Castle's DTLS client: handshake, Binding, Allocate,
 * CreatePermission, Send/Data and ChannelData both ways; the HelloVerifyRequest cookie against spoofed
 * sources; the handshake timeout and the handshake pool's bound; the association's end ending its allocation.
 */
class DtlsRelayIT {
    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland";
    private static NettyTransport transport;
    private ThreadPoolExecutor handshakes;
    private RelayServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, "dtls-it", true);
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
        if (handshakes != null) {
            handshakes.shutdownNow();
            assertThat(handshakes.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    private RelayServer start(int handshakeThreads, int handshakeMillis) {
        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "listeners.udp=", "listeners.tcp=", "listeners.tls=",
                "listeners.dtls=127.0.0.1:0",
                "auth.secrets=it-secret", "auth.static-users=" + USER + ":" + PASSWORD,
                "peers.allow=127.0.0.0/8", "relay.address-v6="));
        // what the composition root builds: a few threads, a short queue, refusal beyond
        handshakes = new ThreadPoolExecutor(handshakeThreads, handshakeThreads, 0, TimeUnit.MILLISECONDS,
                handshakeThreads == 1 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(16));
        server = new RelayServer(settings, Clock.systemUTC(), transport, handshakes);
        server.dtlsHandshakeTimeout(handshakeMillis);
        server.start();
        return server;
    }

    private InetSocketAddress listener() {
        return server.dtlsAddresses().get(0);
    }

    private DtlsTurnClient connect() throws IOException {
        DtlsTurnClient c = new DtlsTurnClient(listener(), USER, PASSWORD);
        closeables.add(c);
        return c;
    }

    private DatagramSocket socket() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(5000);
        closeables.add(s);
        return s;
    }

    private static DatagramPacket receive(DatagramSocket s) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        s.receive(p);
        return p;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        for (long i = 0; i < millis / 50 && !condition.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void relaysBothWaysWithIndicationsAndChannels() throws Exception {
        start(2, 10_000);
        DtlsTurnClient client = connect();
        // the client's preference among ours: ECDHE with an AEAD cipher (the dev certificate is ECDSA)
        assertThat(client.cipherSuite()).isIn(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
        DatagramSocket peer = socket();
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();

        var binding = client.request(StunMethod.BINDING, b -> { });
        assertThat(binding.isSuccess()).isTrue();
        assertThat(binding.address(0x0020)).isEqualTo(client.socket().getLocalSocketAddress());

        var allocated = client.allocate();
        assertThat(allocated.errorCode()).isZero();
        InetSocketAddress relayed = allocated.relayed().get(0);
        assertThat(server.allocationCount()).isEqualTo(1);
        assertThat(server.context().stats().active(FiveTuple.Transport.DTLS, 0)).isEqualTo(1);
        assertThat(client.createPermission(peerAddress).isSuccess()).isTrue();

        client.sendIndication(peerAddress, bytes("hello"));
        DatagramPacket p = receive(peer);
        assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(p.getPort()).isEqualTo(relayed.getPort());
        peer.send(new DatagramPacket(bytes("world"), 5, p.getSocketAddress()));
        var data = client.receive();
        assertThat(data.peer()).isEqualTo(peerAddress);
        assertThat(data.payload()).isEqualTo(bytes("world"));

        assertThat(client.channelBind(0x4001, peerAddress).isSuccess()).isTrue();
        for (String s : List.of("a", "ab", "abc", "abcd", "abcde", "x".repeat(1200))) {
            client.sendChannelData(0x4001, bytes(s));
            p = receive(peer);
            assertThat(Arrays.copyOf(p.getData(), p.getLength())).isEqualTo(bytes(s));
            peer.send(new DatagramPacket(bytes(s + "!"), s.length() + 1, p.getSocketAddress()));
            data = client.receive(); // checks the ChannelData is unpadded, as on UDP
            assertThat(data.channel()).isEqualTo(0x4001);
            assertThat(data.payload()).isEqualTo(bytes(s + "!"));
        }

        assertThat(server.dtlsSessionCount()).isEqualTo(1);
        client.close(); // close_notify ends the association, and the allocation with it
        await("session and allocation end", 5000,
                () -> server.dtlsSessionCount() == 0 && server.allocationCount() == 0);
        assertThat(server.relayPortsInUse()).isZero();
    }

    @Test
    void closeNotifyIsAnsweredAtOnceAndEndsTheAllocation() throws Exception {
        start(2, 10_000);
        DtlsTurnClient client = connect();
        DatagramSocket peer = socket();
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        InetSocketAddress relayed = client.allocate().relayed().get(0);
        assertThat(client.createPermission(peerAddress).isSuccess()).isTrue();
        assertThat(client.channelBind(0x4001, peerAddress).isSuccess()).isTrue();
        assertThat(server.allocations().get(5, TimeUnit.SECONDS)).singleElement()
                .satisfies(info -> assertThat(info.relayed()).isEqualTo(relayed));
        var stats = server.context().stats();

        client.sendCloseNotify();

        client.awaitAlertRecord(1000); // the server's close_notify (encrypted: only the record type shows)
        await("association, allocation, permission and channel end", 5000, () -> server.dtlsSessionCount() == 0
                && server.allocationCount() == 0 && server.relayPortsInUse() == 0
                && stats.permissionsActive.sum() == 0 && stats.channelsActive.sum() == 0);
        assertThat(server.allocations().get(5, TimeUnit.SECONDS)).as("operators' view").isEmpty();
        assertThat(stats.ended(dev.turnbridge.relay.allocation.AllocationListener.EndReason.CONNECTION_CLOSED))
                .isEqualTo(1);
        assertThat(stats.active(FiveTuple.Transport.DTLS, 0)).isZero();
    }

    @Test
    void twoClientsHaveTheirOwnAssociations() throws Exception {
        start(2, 10_000);
        DtlsTurnClient a = connect();
        DtlsTurnClient b = connect();
        assertThat(a.allocate().errorCode()).isZero();
        assertThat(b.allocate().errorCode()).isZero();
        assertThat(server.dtlsSessionCount()).isEqualTo(2);
        assertThat(server.allocationCount()).isEqualTo(2);
        a.close();
        await("a's allocation ends", 5000, () -> server.allocationCount() == 1);
        assertThat(b.request(StunMethod.REFRESH, x -> x.lifetime(600)).isSuccess()).isTrue();
    }

    @Test
    void clientHelloWithoutCookieGetsOnlyAHelloVerifyRequest() throws Exception {
        start(2, 10_000);
        DatagramSocket spoofed = socket();
        byte[] hello = clientHello(new byte[0], 0);

        spoofed.send(new DatagramPacket(hello, hello.length, listener()));
        DatagramPacket reply = receive(spoofed);

        assertThat(reply.getData()[0]).as("handshake record").isEqualTo((byte) 22);
        assertThat(reply.getData()[13]).as("hello_verify_request").isEqualTo((byte) 3);
        assertThat(reply.getLength()).as("no amplification").isLessThanOrEqualTo(hello.length);
        // a second one, and anything that is not a ClientHello, keep nothing either
        spoofed.send(new DatagramPacket(hello, hello.length, listener()));
        receive(spoofed);
        byte[] junk = new byte[64];
        junk[0] = 23; // application data from nobody
        spoofed.send(new DatagramPacket(junk, junk.length, listener()));
        spoofed.setSoTimeout(300);
        assertThatThrownBy(() -> receive(spoofed)).isInstanceOf(SocketTimeoutException.class);
        assertThat(server.dtlsSessionCount()).isZero();
        assertThat(handshakes.getCompletedTaskCount() + handshakes.getActiveCount()).isZero();
    }

    @Test
    void handshakeThatStallsIsDroppedAndItsThreadFreed() throws Exception {
        start(2, 1500);
        DatagramSocket silent = socket();
        byte[] cookie = cookie(silent);
        byte[] hello = clientHello(cookie, 1);

        silent.send(new DatagramPacket(hello, hello.length, listener()));
        DatagramPacket serverHello = receive(silent); // the server's first flight: a session now exists
        assertThat(serverHello.getData()[0]).as("handshake record").isEqualTo((byte) 22);
        assertThat(serverHello.getData()[13]).as("server_hello").isEqualTo((byte) 2);
        assertThat(server.dtlsSessionCount()).isEqualTo(1);

        // the client never answers
        await("stalled handshake dropped", 6000,
                () -> server.dtlsSessionCount() == 0 && handshakes.getActiveCount() == 0);
        assertThat(handshakes.getCompletedTaskCount()).isEqualTo(1);
        // and a real client is served afterwards
        assertThat(connect().allocate().errorCode()).isZero();
    }

    @Test
    void handshakesBeyondThePoolAreRefusedWithoutKeepingState() throws Exception {
        start(1, 3000);
        DatagramSocket first = socket();
        byte[] hello = clientHello(cookie(first), 1);
        first.send(new DatagramPacket(hello, hello.length, listener()));
        assertThat(receive(first).getData()[13]).as("server_hello").isEqualTo((byte) 2); // holds the only thread
        await("first handshake running", 2000, () -> handshakes.getActiveCount() == 1);

        DatagramSocket second = socket();
        byte[] secondHello = clientHello(cookie(second), 1);
        second.send(new DatagramPacket(secondHello, secondHello.length, listener()));
        second.setSoTimeout(500);
        assertThatThrownBy(() -> receive(second)).isInstanceOf(SocketTimeoutException.class);
        assertThat(server.dtlsSessionCount()).isEqualTo(1);
        await("first handshake dropped", 6000, () -> server.dtlsSessionCount() == 0);
    }

    /** Sends a cookie-less ClientHello and returns the cookie of the HelloVerifyRequest. */
    private byte[] cookie(DatagramSocket s) throws IOException {
        byte[] hello = clientHello(new byte[0], 0);
        s.send(new DatagramPacket(hello, hello.length, listener()));
        DatagramPacket p = receive(s);
        // record header 13, handshake header 12, server_version 2, cookie length 1
        int length = p.getData()[13 + 12 + 2] & 0xFF;
        return Arrays.copyOfRange(p.getData(), 13 + 12 + 3, 13 + 12 + 3 + length);
    }

    /** A minimal DTLS 1.2 ClientHello (RFC 6347 §4.2.2) offering ECDHE-ECDSA-AES128-GCM-SHA256 on P-256. */
    private static byte[] clientHello(byte[] cookie, int messageSeq) {
        byte[] random = new byte[32];
        Arrays.fill(random, (byte) 7);
        ByteBuffer extensions = ByteBuffer.allocate(64)
                .putShort((short) 10).putShort((short) 4).putShort((short) 2).putShort((short) 23) // groups: P-256
                .putShort((short) 11).putShort((short) 2).put((byte) 1).put((byte) 0)             // uncompressed points
                .putShort((short) 13).putShort((short) 4).putShort((short) 2).putShort((short) 0x0403); // ecdsa-sha256
        extensions.flip();
        ByteBuffer body = ByteBuffer.allocate(256)
                .putShort((short) 0xFEFD).put(random)
                .put((byte) 0)                                   // session id
                .put((byte) cookie.length).put(cookie)
                .putShort((short) 4).putShort((short) 0xC02B)    // cipher suites, and
                .putShort((short) 0x00FF)                        // RFC 5746 SCSV, which BC requires
                .put((byte) 1).put((byte) 0)                     // null compression
                .putShort((short) extensions.remaining()).put(extensions);
        body.flip();
        int length = body.remaining();
        ByteBuffer record = ByteBuffer.allocate(13 + 12 + length)
                .put((byte) 22).putShort((short) 0xFEFD).putShort((short) 0)   // handshake, DTLS 1.2, epoch 0
                .putShort((short) 0).putInt(messageSeq)                        // sequence number (48 bits)
                .putShort((short) (12 + length))
                .put((byte) 1).put(uint24(length)).putShort((short) messageSeq) // client_hello
                .put(uint24(0)).put(uint24(length))                             // one fragment: all of it
                .put(body);
        return record.array();
    }

    private static byte[] uint24(int v) {
        return new byte[] {(byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
