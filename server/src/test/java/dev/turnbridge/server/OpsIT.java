package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.transport.StreamTurnClient;
import dev.turnbridge.relay.transport.TlsEngineConnection;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operations listener end to end on loopback: counters after a relayed session, token checks, the admin
 * API and a graceful drain.
 */
class OpsIT {
    private static final String METRICS_TOKEN = "metrics-token-0123456789";
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final int CHANNEL = 0x4000;

    private final List<AutoCloseable> open = new ArrayList<>();
    private TurnbridgeServer server;
    private URI ops;
    private InetSocketAddress relay;

    private void start(String... extra) {
        List<String> overrides = new ArrayList<>(List.of(
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                // a range unlikely to be busy; binding retries other ports when one is taken
                "relay.port-min=46000",
                "relay.port-max=46999",
                "peers.allow=127.0.0.1",
                "auth.static-users=alice:wonderland,bob:builder",
                "metrics.listen=127.0.0.1:0",
                "metrics.token=" + METRICS_TOKEN,
                "admin.token=" + ADMIN_TOKEN,
                "signaling.listen=127.0.0.1:0",
                "signaling.access=open"));
        overrides.addAll(List.of(extra));
        Settings settings = SettingsLoader.load(null, Map.of(), overrides);
        server = TurnbridgeServer.start(settings);
        InetSocketAddress a = server.opsAddress();
        ops = URI.create("http://127.0.0.1:" + a.getPort() + "/");
        relay = server.relayAddresses().get(0);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private TestTurnClient client(String user, String password) throws IOException {
        TestTurnClient c = new TestTurnClient(relay, user, password);
        open.add(c);
        return c;
    }

    private DatagramSocket peer() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(3000);
        open.add(s);
        return s;
    }

    private static byte[] receive(DatagramSocket s) throws IOException {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    private static void sendTo(DatagramSocket s, InetSocketAddress to, byte[] data) throws IOException {
        s.send(new DatagramPacket(data, data.length, to));
    }

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    private Scrape scrape() throws Exception {
        return Scrape.metrics(ops, METRICS_TOKEN);
    }

    @Test
    void countersMoveByExactlyWhatARelayedSessionDid() throws Exception {
        start();
        DatagramSocket peer = peer();
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        Scrape before = scrape();

        TestTurnClient alice = client("alice", "wonderland");
        assertThat(alice.binding().isSuccess()).isTrue();
        TestTurnClient.Message allocated = alice.allocate();
        assertThat(allocated.isSuccess()).isTrue();
        InetSocketAddress relayed = allocated.xorAddress(TestTurnClient.XOR_RELAYED_ADDRESS);
        assertThat(alice.createPermission(peerAddress).isSuccess()).isTrue();

        // Send indication out, Data indication back
        alice.send(peerAddress, bytes(100, 1));
        assertThat(receive(peer)).hasSize(100);
        sendTo(peer, relayed, bytes(50, 2));
        assertThat(alice.receiveDataIndication()).hasSize(50);
        // ChannelData out and back
        assertThat(alice.channelBind(CHANNEL, peerAddress).isSuccess()).isTrue();
        alice.channelData(CHANNEL, bytes(30, 3));
        assertThat(receive(peer)).hasSize(30);
        sendTo(peer, relayed, bytes(20, 4));
        assertThat(alice.receiveChannelData(CHANNEL)).hasSize(20);

        Scrape during = scrape();
        assertThat(during.delta(before, "turnbridge_relay_binding_requests_total")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_requests_total", "method", "binding", "result", "success"))
                .isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_requests_total", "method", "allocate", "result", "error"))
                .isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_requests_total", "method", "allocate", "result", "success"))
                .isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_requests_total", "method", "create_permission",
                "result", "success")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_requests_total", "method", "channel_bind",
                "result", "success")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_error_responses_total", "code", "401")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_auth_failures_total", "reason", "bad_integrity"))
                .isZero();
        assertThat(during.delta(before, "turnbridge_relay_allocations_started_total")).isEqualTo(1);
        assertThat(during.get("turnbridge_relay_allocations_active", "transport", "udp", "family", "ipv4"))
                .isEqualTo(1);
        assertThat(during.get("turnbridge_relay_permissions_active")).isEqualTo(1);
        assertThat(during.get("turnbridge_relay_channels_active")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_ports_used")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_ports_free")).isEqualTo(-1);
        assertThat(during.delta(before, "turnbridge_relay_packets_total", "direction", "to_peer", "transport", "udp"))
                .isEqualTo(2);
        assertThat(during.delta(before, "turnbridge_relay_payload_bytes_total", "direction", "to_peer",
                "transport", "udp")).isEqualTo(130);
        assertThat(during.delta(before, "turnbridge_relay_packets_total", "direction", "to_client",
                "transport", "udp")).isEqualTo(2);
        assertThat(during.delta(before, "turnbridge_relay_payload_bytes_total", "direction", "to_client",
                "transport", "udp")).isEqualTo(70);

        assertThat(alice.refresh(600).isSuccess()).isTrue();
        assertThat(alice.refresh(0).isSuccess()).isTrue();

        Scrape after = scrape();
        assertThat(after.delta(during, "turnbridge_relay_allocations_refreshed_total")).isEqualTo(1);
        assertThat(after.delta(during, "turnbridge_relay_requests_total", "method", "refresh", "result", "success"))
                .isEqualTo(2);
        assertThat(after.delta(during, "turnbridge_relay_allocations_ended_total", "reason", "deleted"))
                .isEqualTo(1);
        assertThat(after.get("turnbridge_relay_allocations_active", "transport", "udp", "family", "ipv4")).isZero();
        assertThat(after.get("turnbridge_relay_permissions_active")).isZero();
        assertThat(after.get("turnbridge_relay_channels_active")).isZero();
        assertThat(after.delta(before, "turnbridge_relay_ports_used")).isZero();
    }

    @Test
    void authFailuresAndRefusedPeersAreCountedByReason() throws Exception {
        start();
        Scrape before = scrape();

        TestTurnClient wrong = client("alice", "not-her-password");
        assertThat(wrong.allocate().errorCode()).isEqualTo(401);
        TestTurnClient alice = client("alice", "wonderland");
        assertThat(alice.allocate().isSuccess()).isTrue();
        // 10.0.0.1 is private: the peer policy refuses it
        assertThat(alice.createPermission(new InetSocketAddress("10.0.0.1", 9)).errorCode()).isEqualTo(403);

        Scrape after = scrape();
        assertThat(after.delta(before, "turnbridge_relay_auth_failures_total", "reason", "bad_integrity"))
                .isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_relay_peers_refused_total", "reason", "private")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_relay_error_responses_total", "code", "403")).isEqualTo(1);
        // the 401 challenges of both clients and the wrong password
        assertThat(after.delta(before, "turnbridge_relay_error_responses_total", "code", "401")).isEqualTo(3);
    }

    /** Scrapes until {@code done} holds (counters the relay moves after it has answered nothing), at most 5 s. */
    private Scrape scrapeUntil(Predicate<Scrape> done) throws Exception {
        Scrape s = scrape();
        for (int i = 0; i < 100 && !done.test(s); i++) {
            Thread.sleep(50);
            s = scrape();
        }
        return s;
    }

    /** A STUN request of {@code method} with no attributes: unauthenticated, so any answer to it is unsigned. */
    private static byte[] plainRequest(int method) {
        byte[] m = new byte[20];
        m[0] = (byte) (method >> 8);
        m[1] = (byte) method;
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = (byte) 0xA4;
        m[7] = 0x42;
        byte[] transactionId = new byte[12];
        new java.security.SecureRandom().nextBytes(transactionId);
        System.arraycopy(transactionId, 0, m, 8, 12);
        return m;
    }

    @Test
    void amplificationDropsAndIntegrityChecksAreCounted() throws Exception {
        // Binding off; one unauthenticated answer per source, and practically no refill during the test
        start("amplification.binding=false", "amplification.unauthenticated-burst=1",
                "amplification.unauthenticated-rate=0.001");
        Scrape before = scrape();
        DatagramSocket raw = peer();
        sendTo(raw, relay, plainRequest(0x001));
        sendTo(raw, relay, plainRequest(0x001));
        Scrape bindings = scrapeUntil(s -> s.delta(before, "turnbridge_relay_binding_dropped_total") >= 2);
        assertThat(bindings.delta(before, "turnbridge_relay_binding_dropped_total")).isEqualTo(2);
        assertThat(bindings.delta(before, "turnbridge_relay_binding_requests_total")).isZero();

        // the first 401 takes the one unauthenticated answer 127.0.0.1 has; signed answers are not limited
        TestTurnClient alice = client("alice", "wonderland");
        assertThat(alice.allocate().isSuccess()).isTrue();
        Scrape allocated = scrape();
        assertThat(allocated.delta(bindings, "turnbridge_relay_auth_integrity_checks_total")).isEqualTo(1);
        assertThat(alice.refresh(600).isSuccess()).isTrue();
        Scrape refreshed = scrape();
        assertThat(refreshed.delta(allocated, "turnbridge_relay_auth_integrity_checks_total")).isEqualTo(1);

        // an unsigned Allocate from the same IP would be answered with a 401: over the limit, it is not
        sendTo(raw, relay, plainRequest(0x003));
        Scrape after = scrapeUntil(s -> s.delta(refreshed, "turnbridge_relay_unauthenticated_dropped_total") >= 1);
        assertThat(after.delta(refreshed, "turnbridge_relay_unauthenticated_dropped_total")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_relay_error_responses_total", "code", "401")).isEqualTo(1);
        assertThat(after.delta(refreshed, "turnbridge_relay_auth_integrity_checks_total")).isZero();
        assertThat(after.get("turnbridge_relay_dtls_sessions")).isZero();
    }

    @Test
    void tcpAllocationsCountConnectConnectionBindAndPeerConnections() throws Exception {
        start();
        ServerSocket peer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        peer.setSoTimeout(5000);
        open.add(peer);
        InetSocketAddress tcp = server.relay().tcpAddresses().get(0);
        Scrape before = scrape();

        StreamTurnClient control = StreamTurnClient.tcp(tcp, "alice", "wonderland", 0);
        open.add(control);
        assertThat(control.allocateTcp(b -> { }).isSuccess()).isTrue();
        StreamTurnClient.Reply connected = control.connect((InetSocketAddress) peer.getLocalSocketAddress());
        assertThat(connected.isSuccess()).as("Connect %d", connected.errorCode()).isTrue();
        Socket accepted = peer.accept();
        open.add(accepted);
        Scrape connecting = scrape();
        assertThat(connecting.get("turnbridge_relay_peer_connections_active")).isEqualTo(1);
        assertThat(connecting.delta(before, "turnbridge_relay_requests_total", "method", "connect",
                "result", "success")).isEqualTo(1);

        StreamTurnClient data = StreamTurnClient.tcp(tcp, "alice", "wonderland", 0);
        open.add(data);
        assertThat(data.connectionBind(connected.connectionId()).isSuccess()).isTrue();
        StreamTurnClient stray = StreamTurnClient.tcp(tcp, "alice", "wonderland", 0);
        open.add(stray);
        assertThat(stray.connectionBind(connected.connectionId()).isSuccess()).as("claimed already").isFalse();
        // the peer is already connected: 446
        assertThat(control.connect((InetSocketAddress) peer.getLocalSocketAddress()).errorCode()).isEqualTo(446);

        Scrape bound = scrape();
        assertThat(bound.get("turnbridge_relay_peer_connections_active")).isEqualTo(1);
        assertThat(bound.delta(before, "turnbridge_relay_requests_total", "method", "connection_bind",
                "result", "success")).isEqualTo(1);
        // each new data connection's first ConnectionBind is challenged (401), then the stray one is refused
        assertThat(bound.delta(before, "turnbridge_relay_requests_total", "method", "connection_bind",
                "result", "error")).isEqualTo(3);
        assertThat(bound.delta(before, "turnbridge_relay_requests_total", "method", "connect",
                "result", "error")).isEqualTo(1);
        assertThat(bound.delta(before, "turnbridge_relay_requests_total", "method", "other", "result", "success"))
                .isZero();
        assertThat(bound.delta(before, "turnbridge_relay_requests_total", "method", "other", "result", "error"))
                .isZero();

        assertThat(control.refresh(0).isSuccess()).isTrue();
        Scrape after = scrapeUntil(s -> s.get("turnbridge_relay_peer_connections_active") == 0);
        assertThat(after.get("turnbridge_relay_peer_connections_active")).isZero();
        assertThat(after.get("turnbridge_relay_allocations_active", "transport", "tcp", "family", "ipv4")).isZero();
    }

    @Test
    void metricsCarryJvmNettyAndBuildInfoAndNoSecretsOrAddresses() throws Exception {
        start();
        TestTurnClient alice = client("alice", "wonderland");
        assertThat(alice.allocate().isSuccess()).isTrue();

        HttpResponse<String> r = Scrape.call(ops, "GET", "/metrics", "Bearer " + METRICS_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body())
                .contains("jvm_memory_used_bytes", "netty_allocator_memory_used", "turnbridge_build_info{",
                        "turnbridge_ready 1.0")
                .doesNotContain("alice", "127.0.0.1", METRICS_TOKEN, ADMIN_TOKEN, "wonderland");
    }

    @Test
    void tokensAreRequiredWhereConfiguredAndHealthNeedsNone() throws Exception {
        start();
        assertThat(Scrape.call(ops, "GET", "/healthz", null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = Scrape.call(ops, "GET", "/readyz", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");

        assertThat(Scrape.call(ops, "GET", "/metrics", null).statusCode()).isEqualTo(401);
        assertThat(Scrape.call(ops, "GET", "/metrics", "Bearer wrong-token-0123456789").statusCode()).isEqualTo(401);
        HttpResponse<String> page = Scrape.call(ops, "GET", "/", null);
        assertThat(page.statusCode()).isEqualTo(401);
        assertThat(page.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"turnbridge\"");
        String basic = "Basic " + Base64.getEncoder().encodeToString(("ops:" + METRICS_TOKEN).getBytes());
        HttpResponse<String> status = Scrape.call(ops, "GET", "/", basic);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.body()).contains("<h1>turnbridge</h1>", "ready");

        for (String auth : new String[] {null, "Bearer wrong", "Bearer " + METRICS_TOKEN, "Basic Zm9vOmJhcg=="}) {
            HttpResponse<String> r = Scrape.call(ops, "GET", "/admin/allocations", auth);
            assertThat(r.statusCode()).as("admin with %s", auth).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"turnbridge-admin\"");
        }
        for (String[] call : new String[][] {{"DELETE", "/admin/allocations?username=alice"}, {"POST", "/admin/drain"},
                {"GET", "/admin/rooms"}}) {
            assertThat(Scrape.call(ops, call[0], call[1], "Bearer nope").statusCode()).isEqualTo(401);
        }
        assertThat(server.relay().draining()).isFalse();
        assertThat(Scrape.call(ops, "GET", "/admin/allocations", "Bearer " + ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
    }

    @Test
    void adminApiIsOffWithoutAToken() throws Exception {
        start("admin.token=");
        assertThat(Scrape.call(ops, "GET", "/admin/allocations", "Bearer " + ADMIN_TOKEN).statusCode())
                .isEqualTo(404);
    }

    @Test
    void tlsCloseNotifyEndsTheAllocationForAdminAndMetricsLikeAnyClose() throws Exception {
        start();
        Scrape before = scrape();
        TlsEngineConnection tls = TlsEngineConnection.open(server.relay().tlsAddresses().get(0), "TLSv1.3");
        open.add(tls);
        StreamTurnClient client = StreamTurnClient.over(tls, "alice", "wonderland");
        assertThat(client.allocate(b -> { }).isSuccess()).isTrue();
        assertThat(Scrape.call(ops, "GET", "/admin/allocations", "Bearer " + ADMIN_TOKEN).body())
                .contains("\"username\" : \"alice\"", "\"transport\" : \"tls\"");

        tls.sendCloseNotify();

        assertThat(tls.awaitCloseNotify(1000)).as("our close_notify within 1 s").isTrue();
        assertThat(tls.awaitTcpEnd(1000)).as("then the connection closes").isTrue();
        Scrape after = scrapeUntil(s -> s.get("turnbridge_relay_allocations_active", "transport", "tls",
                "family", "ipv4") == 0);
        assertThat(after.get("turnbridge_relay_allocations_active", "transport", "tls", "family", "ipv4")).isZero();
        assertThat(after.delta(before, "turnbridge_relay_allocations_ended_total", "reason", "connection_closed"))
                .isEqualTo(1);
        assertThat(Scrape.call(ops, "GET", "/admin/allocations", "Bearer " + ADMIN_TOKEN).body())
                .doesNotContain("alice");
    }

    @Test
    void allocateWhoseClientLeftIsAbandonedNot508() throws Exception {
        start();
        Scrape before = scrape();
        int allocates = 10;
        for (int i = 0; i < allocates; i++) {
            StreamTurnClient c = StreamTurnClient.tcp(server.relay().tcpAddresses().get(0), "alice", "wonderland", 0);
            open.add(c);
            c.allocateAndLeave();
        }

        Scrape after = scrapeUntil(s -> s.delta(before, "turnbridge_relay_requests_abandoned_total", "method",
                "allocate") + s.delta(before, "turnbridge_relay_allocations_started_total") == allocates);
        assertThat(after.delta(before, "turnbridge_relay_requests_abandoned_total", "method", "allocate")
                + after.delta(before, "turnbridge_relay_allocations_started_total")).isEqualTo(allocates);
        assertThat(after.delta(before, "turnbridge_relay_requests_abandoned_total", "method", "allocate"))
                .isPositive();
        assertThat(after.delta(before, "turnbridge_relay_error_responses_total", "code", "508")).isZero();
    }

    @Test
    void adminListsAndEndsAllocationsByUsername() throws Exception {
        start();
        TestTurnClient alice = client("alice", "wonderland");
        TestTurnClient bob = client("bob", "builder");
        assertThat(alice.allocate().isSuccess()).isTrue();
        assertThat(bob.allocate().isSuccess()).isTrue();
        Scrape before = scrape();

        HttpResponse<String> list = Scrape.call(ops, "GET", "/admin/allocations", "Bearer " + ADMIN_TOKEN);
        assertThat(list.body()).contains("\"username\" : \"alice\"", "\"username\" : \"bob\"", "\"transport\" : \"udp\"")
                .doesNotContain("wonderland", "integrity", "key");
        HttpResponse<String> onlyBob = Scrape.call(ops, "GET", "/admin/allocations?username=bob",
                "Bearer " + ADMIN_TOKEN);
        assertThat(onlyBob.body()).contains("bob").doesNotContain("alice");

        HttpResponse<String> ended = Scrape.call(ops, "DELETE", "/admin/allocations?username=alice",
                "Bearer " + ADMIN_TOKEN);
        assertThat(ended.statusCode()).isEqualTo(200);
        assertThat(ended.body()).contains("\"ended\" : 1");
        assertThat(Scrape.call(ops, "DELETE", "/admin/allocations", "Bearer " + ADMIN_TOKEN).statusCode())
                .isEqualTo(400);

        assertThat(alice.refresh(600).errorCode()).isEqualTo(437);
        assertThat(bob.refresh(600).isSuccess()).isTrue();
        Scrape after = scrape();
        assertThat(after.delta(before, "turnbridge_relay_allocations_ended_total", "reason", "admin")).isEqualTo(1);
        assertThat(after.get("turnbridge_relay_allocations_active", "transport", "udp", "family", "ipv4"))
                .isEqualTo(1);
    }

    @Test
    void drainRefusesNewAllocationsWithAnAlternateWhileOldOnesKeepRelaying() throws Exception {
        start("drain.alternate-servers=203.0.113.8:3478", "drain.deadline=30s");
        DatagramSocket peer = peer();
        InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
        TestTurnClient alice = client("alice", "wonderland");
        TestTurnClient.Message allocated = alice.allocate();
        InetSocketAddress relayed = allocated.xorAddress(TestTurnClient.XOR_RELAYED_ADDRESS);
        assertThat(alice.createPermission(peerAddress).isSuccess()).isTrue();
        Scrape before = scrape();

        HttpResponse<String> drain = Scrape.call(ops, "POST", "/admin/drain", "Bearer " + ADMIN_TOKEN);
        assertThat(drain.statusCode()).isEqualTo(202);
        HttpResponse<String> ready = Scrape.call(ops, "GET", "/readyz", null);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("draining");

        TestTurnClient bob = client("bob", "builder");
        TestTurnClient.Message refused = bob.allocate();
        assertThat(refused.errorCode()).isEqualTo(300);
        assertThat(refused.plainAddress(TestTurnClient.ALTERNATE_SERVER))
                .isEqualTo(new InetSocketAddress("203.0.113.8", 3478));

        // the existing allocation keeps relaying both ways and can still be refreshed
        alice.send(peerAddress, bytes(40, 5));
        assertThat(receive(peer)).hasSize(40);
        sendTo(peer, relayed, bytes(60, 6));
        assertThat(alice.receiveDataIndication()).hasSize(60);
        assertThat(alice.refresh(600).isSuccess()).isTrue();

        Scrape during = scrape();
        assertThat(during.delta(before, "turnbridge_relay_allocations_refused_draining_total")).isEqualTo(1);
        assertThat(during.delta(before, "turnbridge_relay_error_responses_total", "code", "300")).isEqualTo(1);
        assertThat(during.get("turnbridge_relay_draining")).isEqualTo(1);
        assertThat(during.get("turnbridge_ready")).isZero();
        assertThat(server.terminated()).isNotDone();

        // when the last allocation ends, the server stops by itself well before the deadline
        assertThat(alice.refresh(0).isSuccess()).isTrue();
        server.terminated().get(10, TimeUnit.SECONDS);
    }

    @Test
    void drainWithoutAlternatesAnswers508AndTheDeadlineEndsWhatIsLeft() throws Exception {
        start("drain.deadline=1s");
        TestTurnClient alice = client("alice", "wonderland");
        assertThat(alice.allocate().isSuccess()).isTrue();

        server.drain("test");
        assertThat(client("bob", "builder").allocate().errorCode()).isEqualTo(508);
        server.terminated().get(10, TimeUnit.SECONDS);
        assertThat(server.relay().allocationCount()).isZero();
    }
}
