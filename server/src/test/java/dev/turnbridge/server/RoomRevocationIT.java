package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.SettingsLoader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Signaling and relay together: credentials issued to room members stop working at once when the member is
 * kicked (admin API), leaves, or the room is closed; their allocations end within 1 s; the revocations are
 * counted without room or member labels.
 */
class RoomRevocationIT {
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private TurnbridgeServer server;
    private URI ops;
    private String signaling;

    @BeforeEach
    void start() {
        server = TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), List.of(
                "signaling.access=open",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "peers.allow=127.0.0.1",
                "auth.secrets=room-revocation-secret",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0",
                "admin.token=" + ADMIN_TOKEN)));
        ops = URI.create("http://127.0.0.1:" + server.opsAddress().getPort() + "/");
        signaling = "127.0.0.1:" + server.signalingAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        server.close();
    }

    /** A joined member: its WebSocket, peer id and the TURN client made from the credentials it was given. */
    private record Member(Ws ws, String peerId, TestTurnClient turn) {
    }

    private static final class Ws implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        void send(String json) {
            socket.sendText(json, true).join();
        }

        JsonNode next(String type) throws InterruptedException {
            while (true) {
                JsonNode m = messages.poll(5, TimeUnit.SECONDS);
                assertThat(m).as("waiting for %s", type).isNotNull();
                if (m.path("type").asText().equals(type)) {
                    return m;
                }
            }
        }
    }

    private String createRoom() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + signaling + "/api/rooms"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"capacity\": 3}"))
                .header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        return JSON.readTree(r.body()).get("code").asText();
    }

    private Member join(String room) throws Exception {
        Ws ws = new Ws();
        ws.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://" + signaling + "/ws/v1"), ws).join();
        closeables.add(() -> ws.socket.abort());
        ws.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        JsonNode joined = ws.next("joined");
        JsonNode turn = joined.get("iceServers").get(joined.get("iceServers").size() - 1);
        TestTurnClient client = new TestTurnClient(server.relayAddresses().get(0), turn.get("username").asText(),
                turn.get("credential").asText());
        closeables.add(client);
        assertThat(client.allocate().isSuccess()).isTrue();
        return new Member(ws, joined.get("peerId").asText(), client);
    }

    private HttpResponse<String> admin(String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(ops.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls for at most 1 s (the promise: allocations end within 1 s); the loop is bounded in time. */
    private void awaitAllocations(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (server.relay().allocationCount() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.relay().allocationCount()).isEqualTo(expected);
    }

    @Test
    void kickLeaveAndCloseRevokeTheRelayCredentials() throws Exception {
        Scrape before = Scrape.metrics(ops, null);
        String room = createRoom();
        Member ann = join(room);
        Member ben = join(room);
        Member cy = join(room);
        String other = createRoom();
        Member dee = join(other);
        awaitAllocations(4);
        try (java.net.DatagramSocket sink = new java.net.DatagramSocket(
                new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {
            sink.setSoTimeout(3000);
            InetSocketAddress sinkAddress = (InetSocketAddress) sink.getLocalSocketAddress();
            assertThat(ann.turn().channelBind(0x4000, sinkAddress).isSuccess()).isTrue();
            ann.turn().channelData(0x4000, new byte[1000]);
            sink.receive(new java.net.DatagramPacket(new byte[2000], 2000));
        }
        // the status page lists the room among the top rooms by relayed bytes, its code masked
        JsonNode status = JSON.readTree(Scrape.call(ops, "GET", "/status.json", null).body());
        JsonNode top = status.get("topRoomsByRelayedBytes");
        assertThat(top).hasSize(2); // both rooms hold allocations; the one that relayed comes first
        assertThat(top.get(0).get("code").asText()).isEqualTo(room.substring(0, 2) + "••••");
        assertThat(top.get(0).get("relayedBytes").asLong()).isEqualTo(1000);
        assertThat(top.get(1).get("relayedBytes").asLong()).isZero();
        assertThat(Scrape.call(ops, "GET", "/", null).body()).contains("Top rooms by relayed bytes")
                .doesNotContain(room);
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
        assertThat(ann.turn().createPermission(peer).isSuccess()).isTrue();

        // kicked by the operator (the admin API the `turnbridge admin kick` verb calls)
        assertThat(admin("DELETE", "admin/rooms/" + room + "/members/nobody").statusCode()).isEqualTo(404);
        assertThat(admin("DELETE", "admin/rooms/" + room + "/members/" + ann.peerId()).statusCode()).isEqualTo(200);
        assertThat(ann.ws().next("error").get("code").asText()).isEqualTo("kicked");
        awaitAllocations(3);
        assertThat(ann.turn().refresh(600).errorCode()).isEqualTo(401);
        assertThat(ann.turn().createPermission(peer).errorCode()).isEqualTo(401);
        assertThat(ben.turn().refresh(600).isSuccess()).as("the others keep their rights").isTrue();

        // leaves
        ben.ws().send("{\"type\":\"leave\"}");
        ben.ws().next("left");
        awaitAllocations(2);
        assertThat(ben.turn().refresh(600).errorCode()).isEqualTo(401);

        // the room is closed
        assertThat(admin("DELETE", "admin/rooms/" + room).statusCode()).isEqualTo(200);
        awaitAllocations(1);
        assertThat(cy.turn().refresh(600).errorCode()).isEqualTo(401);
        assertThat(dee.turn().refresh(600).isSuccess()).as("another room").isTrue();

        Scrape after = Scrape.metrics(ops, null);
        assertThat(after.delta(before, "turnbridge_relay_revocations_total", "scope", "member")).isEqualTo(2);
        assertThat(after.delta(before, "turnbridge_relay_revocations_total", "scope", "room")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_relay_allocations_ended_total", "reason", "revoked")).isEqualTo(3);
        assertThat(after.delta(before, "turnbridge_relay_auth_failures_total", "reason", "revoked")).isEqualTo(4);
        assertThat(after.anyKeyContains(room)).as("no room code in any series").isFalse();
    }
}
