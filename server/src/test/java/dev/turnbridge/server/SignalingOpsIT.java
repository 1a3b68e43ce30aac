package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.SettingsLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Signaling seen from the operations listener: meters after an exchange, rooms in the admin API, drain. */
class SignalingOpsIT {
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TurnbridgeServer server;
    private URI ops;
    private String signaling;

    @BeforeEach
    void start() {
        server = TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "auth.secrets=signaling-ops-secret",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0",
                "admin.token=" + ADMIN_TOKEN)));
        ops = URI.create("http://127.0.0.1:" + server.opsAddress().getPort() + "/");
        signaling = "127.0.0.1:" + server.signalingAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A WebSocket client that queues what it receives and how it was closed. */
    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
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

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        void send(String json) {
            socket.sendText(json, true).join();
        }

        /** The next message of {@code type}, skipping others (presence). */
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

    private Client connect() {
        Client c = new Client();
        c.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://" + signaling + "/ws/v1"), c).join();
        return c;
    }

    private String createRoom() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + signaling + "/api/rooms"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        return JSON.readTree(r.body()).get("code").asText();
    }

    @Test
    void metersMoveByWhatASignalingExchangeDid() throws Exception {
        Scrape before = Scrape.metrics(ops, null);
        String room = createRoom();
        Client ann = connect();
        Client bob = connect();
        ann.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        ann.next("joined");
        bob.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        bob.next("joined");
        ann.send("{\"type\":\"signal\",\"payload\":{\"sdp\":\"offer\"}}");
        assertThat(bob.next("signal").path("payload").path("sdp").asText()).isEqualTo("offer");
        bob.send("{\"type\":\"nonsense\"}");
        bob.next("error");
        ann.send("{\"type\":\"join\",\"room\":\"ZZZZZZZZ\"}");
        ann.next("error");

        Scrape after = Scrape.metrics(ops, null);
        assertThat(after.get("turnbridge_signaling_connections")).isEqualTo(2);
        assertThat(after.delta(before, "turnbridge_signaling_connections_opened_total")).isEqualTo(2);
        assertThat(after.get("turnbridge_signaling_rooms_active")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_signaling_joins_total", "result", "joined")).isEqualTo(2);
        assertThat(after.delta(before, "turnbridge_signaling_joins_total", "result", "refused")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_signaling_messages_total", "type", "join")).isEqualTo(3);
        assertThat(after.delta(before, "turnbridge_signaling_messages_total", "type", "signal")).isEqualTo(1);
        assertThat(after.delta(before, "turnbridge_signaling_errors_total", "code", "bad_message")).isEqualTo(2);
        assertThat(after.delta(before, "turnbridge_signaling_fanout_latency_seconds_count")).isEqualTo(1);
        // open access: the room creation and both upgrades pass, counted by mode and outcome, never by user
        assertThat(after.delta(before, "turnbridge_signaling_auth_total", "mode", "open", "outcome", "ok"))
                .isEqualTo(3);
        assertThat(after.delta(before, "turnbridge_signaling_auth_total", "mode", "open", "outcome", "forbidden"))
                .isZero();
        assertThat(after.anyKeyContains("turnbridge_signaling_fanout_latency_seconds_bucket")).isTrue();
        assertThat(after.anyKeyContains(room)).isFalse();
    }

    @Test
    void adminListsAndClosesRooms() throws Exception {
        String room = createRoom();
        Client ann = connect();
        ann.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        ann.next("joined");

        HttpResponse<String> rooms = Scrape.call(ops, "GET", "/admin/rooms", "Bearer " + ADMIN_TOKEN);
        JsonNode listed = JSON.readTree(rooms.body());
        assertThat(listed.get("signaling").asBoolean()).isTrue();
        assertThat(listed.get("rooms")).singleElement().satisfies(r -> {
            assertThat(r.get("code").asText()).isEqualTo(room);
            assertThat(r.get("members").asInt()).isEqualTo(1);
        });
        // the status page shows the room, but not its code
        HttpResponse<String> page = Scrape.call(ops, "GET", "/", null);
        assertThat(page.body()).contains(room.substring(0, 2) + "••••").doesNotContain(room);

        assertThat(Scrape.call(ops, "DELETE", "/admin/rooms/" + room, "Bearer " + ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(ann.next("error").get("code").asText()).isEqualTo("room_expired");
        assertThat(Scrape.call(ops, "DELETE", "/admin/rooms/" + room, "Bearer " + ADMIN_TOKEN).statusCode())
                .isEqualTo(404);
        assertThat(Scrape.metrics(ops, null).get("turnbridge_signaling_rooms_active")).isZero();
    }

    @Test
    void drainTellsSignalingClientsToReconnect() throws Exception {
        String room = createRoom();
        Client ann = connect();
        ann.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        ann.next("joined");

        assertThat(Scrape.call(ops, "POST", "/admin/drain", "Bearer " + ADMIN_TOKEN).statusCode()).isEqualTo(202);

        assertThat(ann.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4003);
        // no allocations: the server stops by itself
        server.terminated().get(10, TimeUnit.SECONDS);
    }
}
