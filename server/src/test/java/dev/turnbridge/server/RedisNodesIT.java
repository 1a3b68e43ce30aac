package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.signaling.room.RedisUnavailableException;
import dev.turnbridge.testing.RedisCluster;
import dev.turnbridge.testing.RedisProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several servers on one Redis ({@code signaling.registry: redis}), in this JVM on loopback: a room created
 * on one node is joined through another, the last seat raced for through two nodes goes to exactly one, rooms
 * outlive every node, and Redis lost and back is a clear {@code unavailable}, a 503 readiness, then recovery.
 */
class RedisNodesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RedisProcess redis;

    private final String prefix = "it" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<TurnbridgeServer> nodes = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisProcess.standalone();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(TurnbridgeServer::close);
    }

    private TurnbridgeServer node(String redisUri) {
        return node(redisUri, false);
    }

    private TurnbridgeServer node(String redisUri, boolean cluster, String... more) {
        List<String> overrides = new ArrayList<>(List.of(more));
        overrides.addAll(List.of(
                "signaling.access=open",
                "signaling.registry=redis",
                "redis.cluster=" + cluster,
                "redis.uri=" + redisUri,
                "redis.key-prefix=" + prefix,
                "redis.presence-lease=3s",
                "redis.command-timeout=500ms",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "auth.secrets=redis-nodes-secret",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        TurnbridgeServer server = TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), overrides));
        nodes.add(server);
        return server;
    }

    private static String http(TurnbridgeServer node) {
        return "http://127.0.0.1:" + node.signalingAddresses().get(0).getPort();
    }

    /** A WebSocket client that queues what it receives. */
    private static final class Client implements WebSocket.Listener {
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

        /** The next message that is {@code joined} or {@code error}, skipping others (presence). */
        JsonNode answer() throws InterruptedException {
            while (true) {
                JsonNode m = messages.poll(10, TimeUnit.SECONDS);
                assertThat(m).as("waiting for joined or error").isNotNull();
                String type = m.path("type").asText();
                if (type.equals("joined") || type.equals("error")) {
                    return m;
                }
            }
        }

        void close() {
            socket.abort();
        }

        /** The next message of {@code type}, skipping others. */
        JsonNode next(String type) throws InterruptedException {
            while (true) {
                JsonNode m = messages.poll(10, TimeUnit.SECONDS);
                assertThat(m).as("waiting for %s", type).isNotNull();
                if (m.path("type").asText().equals(type)) {
                    return m;
                }
            }
        }
    }

    private static Client connect(TurnbridgeServer node) {
        Client c = new Client();
        c.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create(http(node).replace("http:", "ws:") + "/ws/v1"), c).join();
        return c;
    }

    private static JsonNode join(TurnbridgeServer node, String room) throws InterruptedException {
        Client c = connect(node);
        c.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        return c.answer();
    }

    private static HttpResponse<String> post(TurnbridgeServer node, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(http(node) + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String createRoom(TurnbridgeServer node, int capacity) throws Exception {
        HttpResponse<String> r = post(node, "/api/rooms", "{\"capacity\":" + capacity + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("code").asText();
    }

    @Test
    void aRoomCreatedOnOneNodeIsFoundAndJoinedThroughAnother() throws Exception {
        TurnbridgeServer a = node(redis.uri());
        TurnbridgeServer b = node(redis.uri());
        String code = createRoom(a, 3);

        HttpResponse<String> lookup = get(http(b) + "/api/rooms/" + code);
        assertThat(lookup.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(lookup.body()).get("capacity").asInt()).isEqualTo(3);
        JsonNode ann = join(a, code);
        JsonNode bob = join(b, code);
        assertThat(ann.path("type").asText()).isEqualTo("joined");
        assertThat(bob.path("type").asText()).isEqualTo("joined");
        // bob's node read the room from Redis: it lists ann, who joined on the other node
        assertThat(bob.path("presence").toString()).contains(ann.path("peerId").asText());
        assertThat(get(http(a) + "/api/rooms/ZZZZZZZZ").statusCode()).isEqualTo(404);
    }

    /** The seat race through two servers: the last seat of a room joined at the same moment on two nodes. */
    @Test
    void theLastSeatRacedForOnTwoNodesGoesToExactlyOne() throws Exception {
        TurnbridgeServer a = node(redis.uri());
        TurnbridgeServer b = node(redis.uri());
        for (int trial = 0; trial < 20; trial++) {
            String code = createRoom(a, 2);
            assertThat(join(a, code).path("type").asText()).isEqualTo("joined");
            Client viaA = connect(a);
            Client viaB = connect(b);
            String message = "{\"type\":\"join\",\"room\":\"" + code + "\"}";
            viaA.socket.sendText(message, true);
            viaB.socket.sendText(message, true);
            List<String> outcomes = List.of(outcome(viaA.answer()), outcome(viaB.answer()));
            assertThat(outcomes).as("trial %d", trial).containsExactlyInAnyOrder("joined", "room_full");
            viaA.close();
            viaB.close();
        }
    }

    private static String outcome(JsonNode answer) {
        return answer.path("type").asText().equals("joined") ? "joined" : answer.path("code").asText();
    }

    @Test
    void roomsOutliveEveryNode() throws Exception {
        TurnbridgeServer a = node(redis.uri());
        String code = createRoom(a, 2);
        assertThat(join(a, code).path("type").asText()).isEqualTo("joined");
        a.close();

        TurnbridgeServer restarted = node(redis.uri());
        assertThat(get(http(restarted) + "/api/rooms/" + code).statusCode()).isEqualTo(200);
        assertThat(join(restarted, code).path("type").asText()).isEqualTo("joined");
    }

    @Test
    void redisDownAtStartIsOneClearError() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> node("redis://:sekrit-pw@127.0.0.1:" + port))
                .isInstanceOf(RedisUnavailableException.class)
                .hasMessageStartingWith("cannot reach Redis at redis://<redacted>@127.0.0.1:" + port
                        + " (signaling.registry: redis)")
                .hasMessageNotContaining("sekrit");
    }

    /**
     * Redis lost while running: joins answer unavailable and HTTP 503, /readyz says 503, and everything comes
     * back by itself once Redis does (the room too: Redis keeps its data across the restart).
     */
    @Test
    void redisLostWhileRunningIsUnavailableThenRecoversByItself() throws Exception {
        try (RedisProcess own = RedisProcess.standalone()) {
            TurnbridgeServer a = node(own.uri());
            String ready = "http://127.0.0.1:" + a.opsAddress().getPort() + "/readyz";
            String code = createRoom(a, 4);
            assertThat(get(ready).statusCode()).isEqualTo(200);

            own.kill();
            JsonNode refused = join(a, code);
            assertThat(refused.path("type").asText()).isEqualTo("error");
            assertThat(refused.path("code").asText()).isEqualTo("unavailable");
            HttpResponse<String> create = post(a, "/api/rooms", "{}");
            assertThat(create.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(create.body()).path("code").asText()).isEqualTo("unavailable");
            assertThat(get(http(a) + "/api/rooms/" + code).statusCode()).isEqualTo(503);
            assertThat(get(ready).statusCode()).isEqualTo(503);

            own.restart();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (get(ready).statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(get(ready).statusCode()).isEqualTo(200);
            assertThat(join(a, code).path("type").asText()).isEqualTo("joined");
        }
    }

    /**
     * Members on two nodes: each sees the other's presence, acknowledged signals arrive in order (to all and to
     * one peer), and a leave on one node shows on the other. The fan-out is sharded pub/sub on the room's channel.
     */
    @Test
    void membersOnTwoNodesSeeEachOtherAndExchangeAckedSignalsInOrder() throws Exception {
        TurnbridgeServer a = node(redis.uri());
        TurnbridgeServer b = node(redis.uri());
        String code = createRoom(a, 2);
        String config = ",\"config\":{\"ack\":true,\"seq\":true}}";
        Client ann = connect(a);
        ann.send("{\"type\":\"join\",\"room\":\"" + code + "\"" + config);
        String annId = ann.next("joined").path("peerId").asText();
        Client bob = connect(b);
        bob.send("{\"type\":\"join\",\"room\":\"" + code + "\"" + config);
        String bobId = bob.next("joined").path("peerId").asText();

        JsonNode seen = ann.next("presence_diff");
        assertThat(seen.path("joins").has(bobId)).as(seen.toString()).isTrue();

        int count = 30;
        for (int i = 1; i <= count; i++) {
            ann.send("{\"type\":\"signal\",\"ref\":" + i + ",\"seq\":" + i + ",\"payload\":{\"n\":" + i + "}}");
        }
        for (int i = 1; i <= count; i++) {
            JsonNode ack = ann.next("ack");
            assertThat(ack.path("ref").asInt()).isEqualTo(i);
        }
        for (int i = 1; i <= count; i++) {
            JsonNode signal = bob.next("signal");
            assertThat(signal.path("from").asText()).isEqualTo(annId);
            assertThat(signal.path("payload").path("n").asInt()).as("signal %d in order", i).isEqualTo(i);
        }
        bob.send("{\"type\":\"signal\",\"ref\":1,\"seq\":1,\"to\":\"" + annId + "\",\"payload\":\"answer\"}");
        assertThat(bob.next("ack").path("ref").asInt()).isEqualTo(1);
        JsonNode answer = ann.next("signal");
        assertThat(answer.path("to").asText()).isEqualTo(annId);
        assertThat(answer.path("payload").asText()).isEqualTo("answer");

        bob.send("{\"type\":\"leave\"}");
        JsonNode left = ann.next("presence_diff");
        assertThat(left.path("leaves").has(bobId)).as(left.toString()).isTrue();
    }

    /**
     * A node killed with SIGKILL (a separate JVM running Main): its member's presence leaves the other node's
     * members within the lease. The bound is presence-lease + one renewal interval of the survivor (3 s + 1 s
     * here): the dead node stops renewing, the lease lapses, and the survivor's next renewal removes the
     * member and tells its own members. The poll below allows 15 s so that a loaded machine does not flake.
     */
    @Test
    void aNodeKilledWithSigkillLosesItsMembersPresenceWithinTheLease() throws Exception {
        TurnbridgeServer survivor = node(redis.uri());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        java.nio.file.Path log = java.nio.file.Files.createTempFile("turnbridge-node-", ".log");
        Process doomed = separateNode(port, log, "3s");
        try {
            String doomedHttp = "http://127.0.0.1:" + port;

            String code = createRoom(survivor, 2);
            Client ann = connect(survivor);
            ann.send("{\"type\":\"join\",\"room\":\"" + code + "\"}");
            ann.next("joined");
            Client bob = new Client();
            bob.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create(doomedHttp.replace("http:", "ws:") + "/ws/v1"), bob).join();
            bob.send("{\"type\":\"join\",\"room\":\"" + code + "\"}");
            String bobId = bob.next("joined").path("peerId").asText();
            assertThat(ann.next("presence_diff").path("joins").has(bobId)).isTrue();

            doomed.destroyForcibly(); // SIGKILL: no leave, no clean close, no more renewals
            assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();
            JsonNode left = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (left == null && System.nanoTime() < until) {
                JsonNode m = ann.messages.poll(1, TimeUnit.SECONDS);
                if (m != null && m.path("type").asText().equals("presence_diff") && m.path("leaves").has(bobId)) {
                    left = m;
                }
            }
            assertThat(left).as("bob's presence left after the lease").isNotNull();
            // and its seat is free again
            assertThat(join(survivor, code).path("type").asText()).isEqualTo("joined");
        } finally {
            doomed.destroyForcibly();
            doomed.waitFor(10, TimeUnit.SECONDS);
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    /**
     * Revocation reaches every node's relay: a member of node a holds an allocation on node b's relay (same
     * secret, as coturn nodes would); when it leaves on a, b's relay refuses its credential and ends the
     * allocation within 1 s (the promise of room-scoped revocation; the poll is bounded to that second).
     */
    @Test
    void aLeaveOnOneNodeRevokesOnEveryNodesRelayWithinASecond() throws Exception {
        TurnbridgeServer a = node(redis.uri());
        TurnbridgeServer b = node(redis.uri());
        String code = createRoom(a, 2);
        Client ann = connect(a);
        ann.send("{\"type\":\"join\",\"room\":\"" + code + "\"}");
        JsonNode joined = ann.next("joined");
        JsonNode turn = joined.get("iceServers").get(joined.get("iceServers").size() - 1);
        try (TestTurnClient onB = new TestTurnClient(b.relayAddresses().get(0), turn.get("username").asText(),
                turn.get("credential").asText())) {
            assertThat(onB.allocate().isSuccess()).isTrue();
            assertThat(b.relay().allocationCount()).isEqualTo(1);

            ann.send("{\"type\":\"leave\"}");
            ann.next("left");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (b.relay().allocationCount() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(b.relay().allocationCount()).isZero();
            assertThat(onB.refresh(600).errorCode()).isEqualTo(401);
        }
    }

    /** A node in its own JVM (Main), so that a test can SIGKILL it; returns its process, listening on {@code port}. */
    private Process separateNode(int port, java.nio.file.Path log, String lease) throws Exception {
        Process node = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "dev.turnbridge.server.Main",
                "--set", "signaling.access=open", "--set", "signaling.registry=redis",
                "--set", "redis.uri=" + redis.uri(), "--set", "redis.key-prefix=" + prefix,
                "--set", "redis.presence-lease=" + lease, "--set", "listeners.udp=127.0.0.1:0",
                "--set", "listeners.tcp=127.0.0.1:0", "--set", "listeners.tls=127.0.0.1:0",
                "--set", "relay.address=127.0.0.1", "--set", "auth.secrets=redis-nodes-secret",
                "--set", "signaling.listen=127.0.0.1:" + port, "--set", "metrics.listen=127.0.0.1:0")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean up = false;
        while (!up && node.isAlive() && System.nanoTime() < deadline) {
            try {
                up = get("http://127.0.0.1:" + port + "/api/rooms/ZZZZZZZZ").statusCode() == 404;
            } catch (java.io.IOException notYet) {
                Thread.sleep(200);
            }
        }
        assertThat(up).as("the separate node started: %s", java.nio.file.Files.readString(log)).isTrue();
        return node;
    }

    /** Bob on an in-process node (the survivor), ann on a node in its own JVM (doomed), both sequenced. */
    private record Move(TurnbridgeServer survivor, Process doomed, java.nio.file.Path log, String code, Client bob,
                        Client ann, JsonNode annJoined) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            doomed.destroyForcibly();
            doomed.waitFor(10, TimeUnit.SECONDS);
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    private Move move() throws Exception {
        TurnbridgeServer survivor = node(redis.uri());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        java.nio.file.Path log = java.nio.file.Files.createTempFile("turnbridge-node-", ".log");
        Process doomed = separateNode(port, log, "5s");
        try {
            String code = createRoom(survivor, 2);
            String config = ",\"config\":{\"ack\":true,\"seq\":true}}";
            Client bob = connect(survivor);
            bob.send("{\"type\":\"join\",\"room\":\"" + code + "\"" + config);
            bob.next("joined");
            Client ann = new Client();
            ann.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/v1"), ann).join();
            ann.send("{\"type\":\"join\",\"room\":\"" + code + "\"" + config);
            JsonNode joined = ann.next("joined");
            bob.next("presence_diff");
            return new Move(survivor, doomed, log, code, bob, ann, joined);
        } catch (Exception | AssertionError e) {
            doomed.destroyForcibly();
            doomed.waitFor(10, TimeUnit.SECONDS);
            java.nio.file.Files.deleteIfExists(log);
            throw e;
        }
    }

    /**
     * A member whose node was SIGKILLed resumes on another node with its token, within the lease, as the same
     * peer: the others see no leave, and signals reach it on its new node.
     */
    @Test
    void aMemberOfAKilledNodeResumesOnAnotherAsTheSamePeer() throws Exception {
        try (Move move = move()) {
            TurnbridgeServer survivor = move.survivor();
            Process doomed = move.doomed();
            String code = move.code();
            Client bob = move.bob();
            JsonNode joined = move.annJoined();
            String annId = joined.path("peerId").asText();

            doomed.destroyForcibly();
            assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Client again = connect(survivor);
            again.send("{\"type\":\"resume\",\"token\":\"" + joined.path("token").asText() + "\",\"seq\":0}");
            JsonNode resumed = again.next("joined");
            assertThat(resumed.path("peerId").asText()).isEqualTo(annId);
            assertThat(resumed.path("resumed").asBoolean()).isTrue();

            bob.send("{\"type\":\"signal\",\"ref\":1,\"seq\":1,\"payload\":\"after the move\"}");
            assertThat(bob.next("ack").path("ref").asInt()).isEqualTo(1);
            assertThat(again.next("signal").path("payload").asText()).isEqualTo("after the move");
            // a forged secret for the same peer id is refused
            Client forger = connect(survivor);
            forger.send("{\"type\":\"resume\",\"token\":\"" + annId + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
            assertThat(forger.next("error").path("code").asText()).isEqualTo("unauthorized");
            // past the lease of the dead node: ann is still there, renewed by her new node
            Thread.sleep(6000);
            assertThat(bob.messages.stream().noneMatch(m -> m.path("leaves").has(annId))).isTrue();
            JsonNode room = JSON.readTree(get(http(survivor) + "/api/rooms/" + code).body());
            assertThat(room.path("members").asInt()).isEqualTo(2);
        }
    }

    /**
     * What was acknowledged is in Redis: a member whose node was SIGKILLed before its client read the signals
     * sent to it gets each of them once, in order, when it resumes on another node with the position of the last
     * one it read, and those sent while it moved; its own signals that reached Redis are not taken twice.
     */
    @Test
    void aMemberOfAKilledNodeGetsEveryAcknowledgedSignalOnceOnAnother() throws Exception {
        try (Move move = move()) {
            TurnbridgeServer survivor = move.survivor();
            Process doomed = move.doomed();
            Client bob = move.bob();
            Client ann = move.ann();
            JsonNode joined = move.annJoined();

            for (int i = 1; i <= 3; i++) {
                ann.send("{\"type\":\"signal\",\"ref\":" + i + ",\"seq\":" + i + ",\"payload\":\"ann " + i + "\"}");
                assertThat(ann.next("ack").path("received").asInt()).isEqualTo(i);
            }
            for (int i = 1; i <= 3; i++) {
                assertThat(bob.next("signal").path("payload").asText()).isEqualTo("ann " + i);
            }
            for (int i = 1; i <= 20; i++) {
                bob.send("{\"type\":\"signal\",\"ref\":" + i + ",\"seq\":" + i + ",\"payload\":\"bob " + i + "\"}");
            }
            for (int i = 1; i <= 20; i++) {
                assertThat(bob.next("ack").path("ref").asInt()).isEqualTo(i);
            }
            // ann's client reads 8; the others were on their way to her when her node died
            JsonNode last = null;
            for (int i = 1; i <= 8; i++) {
                last = ann.next("signal");
                assertThat(last.path("payload").asText()).isEqualTo("bob " + i);
            }
            doomed.destroyForcibly();
            assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 21; i <= 25; i++) {
                bob.send("{\"type\":\"signal\",\"ref\":" + i + ",\"seq\":" + i + ",\"payload\":\"bob " + i + "\"}");
                assertThat(bob.next("ack").path("ref").asInt()).isEqualTo(i);
            }

            Client again = connect(survivor);
            again.send("{\"type\":\"resume\",\"token\":\"" + joined.path("token").asText() + "\",\"seq\":"
                    + last.path("seq").asLong() + ",\"at\":\"" + last.path("at").asText() + "\"}");
            JsonNode resumed = again.next("joined");
            assertThat(resumed.path("resumed").asBoolean()).isTrue();
            assertThat(resumed.path("received").asInt()).as("ann's seq in Redis").isEqualTo(3);
            long seq = last.path("seq").asLong();
            for (int i = 9; i <= 25; i++) {
                JsonNode signal = again.next("signal");
                assertThat(signal.path("payload").asText()).isEqualTo("bob " + i);
                assertThat(signal.path("seq").asLong()).isEqualTo(++seq);
            }
            // ann's client resends its last signal (it had not seen the ack): acknowledged, not delivered twice
            again.send("{\"type\":\"signal\",\"ref\":3,\"seq\":3,\"payload\":\"ann 3\"}");
            assertThat(again.next("ack").path("received").asInt()).isEqualTo(3);
            again.send("{\"type\":\"signal\",\"ref\":4,\"seq\":4,\"payload\":\"ann 4\"}");
            assertThat(again.next("ack").path("received").asInt()).isEqualTo(4);
            assertThat(bob.next("signal").path("payload").asText()).isEqualTo("ann 4");
            assertThat(again.messages.stream().filter(m -> m.path("type").asText().equals("signal"))).isEmpty();
        }
    }

    /**
     * {@code relay.nodes: redis}: members on any node get the least-loaded live relay, by allocations; a node
     * that stops takes its relay out at once.
     */
    @Test
    void relayNodesNameTheLeastLoadedLiveRelay() throws Exception {
        TurnbridgeServer a = node(redis.uri(), false, "relay.nodes=redis", "relay.external-address=127.0.0.1");
        TurnbridgeServer b = node(redis.uri(), false, "relay.nodes=redis", "relay.external-address=127.0.0.1");
        String relayA = "turn:127.0.0.1:" + a.relayAddresses().get(0).getPort() + "?transport=udp";
        String relayB = "turn:127.0.0.1:" + b.relayAddresses().get(0).getPort() + "?transport=udp";
        String code = createRoom(a, 4);
        JsonNode ann = join(a, code);
        JsonNode turn = ann.path("iceServers").get(1);
        List<TestTurnClient> allocations = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                TestTurnClient client = new TestTurnClient(a.relayAddresses().get(0), turn.path("username").asText(),
                        turn.path("credential").asText());
                allocations.add(client);
                assertThat(client.allocate().errorCode()).isZero();
            }
            String token = ann.path("token").asText();
            assertThat(turnUrisWithin(a, code, token, relayB)).as("through a, with 3 allocations on a").contains(relayB);
            String bobToken = join(b, code).path("token").asText(); // a member's token works on its own node
            assertThat(turnUrisWithin(b, code, bobToken, relayB)).as("through b").contains(relayB);
            b.close();
            assertThat(turnUrisWithin(a, code, token, relayA)).as("b stopped").contains(relayA);
        } finally {
            allocations.forEach(TestTurnClient::close);
        }
    }

    /** The TURN URIs of fresh ice servers through {@code node}, once they name {@code expected} (bounded 10 s). */
    private static List<String> turnUrisWithin(TurnbridgeServer node, String code, String token, String expected)
            throws Exception {
        List<String> uris = List.of();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!uris.contains(expected) && System.nanoTime() < until) {
            Thread.sleep(500);
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(http(node) + "/api/rooms/" + code
                    + "/ice-servers")).header("Authorization", "Bearer " + token).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            uris = new ArrayList<>();
            for (JsonNode u : JSON.readTree(r.body()).path("iceServers").get(1).path("urls")) {
                uris.add(u.asText());
            }
        }
        return uris;
    }

    /** The same across nodes on a 3-master Redis Cluster: seats, presence and signals through the room's shard. */
    @Test
    void twoNodesOnARedisCluster() throws Exception {
        try (RedisCluster cluster = RedisCluster.start()) {
            TurnbridgeServer a = node(cluster.uris(), true);
            TurnbridgeServer b = node(cluster.uris(), true);
            for (int i = 0; i < 3; i++) { // rooms on different slots, so on different shards
                String code = createRoom(a, 2);
                Client ann = connect(a);
                ann.send("{\"type\":\"join\",\"room\":\"" + code + "\",\"config\":{\"ack\":true}}");
                String annId = ann.next("joined").path("peerId").asText();
                Client bob = connect(b);
                bob.send("{\"type\":\"join\",\"room\":\"" + code + "\",\"config\":{\"ack\":true}}");
                bob.next("joined");
                assertThat(join(b, code).path("code").asText()).isEqualTo("room_full");
                assertThat(ann.next("presence_diff").path("joins").size()).isEqualTo(1);
                bob.send("{\"type\":\"signal\",\"ref\":7,\"to\":\"" + annId + "\",\"payload\":\"hi\"}");
                assertThat(bob.next("ack").path("ref").asInt()).isEqualTo(7);
                assertThat(ann.next("signal").path("payload").asText()).isEqualTo("hi");
            }
            assertThat(get("http://127.0.0.1:" + b.opsAddress().getPort() + "/readyz").statusCode()).isEqualTo(200);
        }
    }
}
