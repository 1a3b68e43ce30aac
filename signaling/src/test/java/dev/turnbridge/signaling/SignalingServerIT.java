package dev.turnbridge.signaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.session.SignalingStats;
import dev.turnbridge.signaling.ws.WsClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The signaling server on loopback sockets: HTTP API, WebSocket protocol, every limit. */
class SignalingServerIT {

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private SignalingServer server;
    private int port;

    private void start(String... overrides) throws Exception {
        server = new SignalingServer(TestSettings.with(overrides), 3478, Clock.systemUTC(), boss, workers,
                NioServerSocketChannel.class);
        InetSocketAddress bound = server.start().get(0);
        port = bound.getPort();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already closed by the test
            }
        }
        if (server != null) {
            server.close();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private WsClient ws(String origin) throws Exception {
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws/v1"), origin);
        toClose.add(client);
        return client;
    }

    private WsClient ws() throws Exception {
        return ws(null);
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    private String createRoom(String body) throws Exception {
        HttpResponse<String> created = post("/api/rooms", body);
        assertThat(created.statusCode()).isEqualTo(201);
        return json(created).get("code").asText();
    }

    private static JsonNode join(WsClient c, String code, String name) throws Exception {
        c.send("{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code + "\",\"meta\":{\"name\":\"" + name
                + "\"},\"config\":{\"ack\":true}}");
        JsonNode joined = c.next("joined");
        c.next("presence_state");
        return joined;
    }

    @Test
    void roomsOverHttp() throws Exception {
        start();
        String code = createRoom("{\"capacity\":3}");

        HttpResponse<String> info = get("/api/rooms/" + code);
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(json(info).get("capacity").asInt()).isEqualTo(3);
        assertThat(json(info).get("members").asInt()).isZero();
        assertThat(info.headers().firstValue("content-type")).contains("application/json; charset=utf-8");

        HttpResponse<String> missing = get("/api/rooms/ZZZZZZZZ");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("code").asText()).isEqualTo("room_not_found");
        assertThat(post("/api/rooms", "{\"capacity\":99}").statusCode()).isEqualTo(400);
        assertThat(get("/api/rooms").statusCode()).isEqualTo(405);
        assertThat(get("/api/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void servesTheDemoAndTheClient() throws Exception {
        start();

        HttpResponse<String> page = get("/");
        HttpResponse<String> js = get("/signaling.js");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(page.body()).contains("<script type=\"module\" src=\"/demo.js\">");
        assertThat(js.headers().firstValue("content-type")).contains("text/javascript; charset=utf-8");
        assertThat(js.body()).contains("export class SignalingClient");
        assertThat(get("/demo.js").statusCode()).isEqualTo(200);
        assertThat(get("/../pom.xml").statusCode()).isEqualTo(404);
        assertThat(get("/web/index.html").statusCode()).isEqualTo(404);
    }

    @Test
    void bodyLargerThanTheLimitIsTooLarge() throws Exception {
        start("signaling.max-message-size=1024");

        HttpResponse<String> response = post("/api/rooms", "{\"x\":\"" + "a".repeat(2000) + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).get("code").asText()).isEqualTo("too_large");
    }

    @Test
    void corsSameOriginByDefault() throws Exception {
        start();
        String self = "http://127.0.0.1:" + port;

        HttpResponse<String> same = post("/api/rooms", "", "Origin", self);
        HttpResponse<String> cross = post("/api/rooms", "", "Origin", "http://evil.example");

        assertThat(same.statusCode()).isEqualTo(201);
        assertThat(same.headers().firstValue("access-control-allow-origin")).contains(self);
        assertThat(cross.statusCode()).isEqualTo(401);
        assertThat(json(cross).get("code").asText()).isEqualTo("unauthorized");
        assertThat(cross.headers().firstValue("access-control-allow-origin")).isEmpty();
    }

    @Test
    void corsAllowList() throws Exception {
        start("signaling.allowed-origins=https://app.example");

        HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(uri("/api/rooms"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example").header("Access-Control-Request-Method", "POST").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains("https://app.example");
        assertThat(preflight.headers().firstValue("access-control-allow-methods")).contains("GET, POST, OPTIONS");
        assertThat(preflight.headers().firstValue("access-control-allow-headers"))
                .contains("Authorization, Content-Type");
        assertThat(post("/api/rooms", "", "Origin", "http://127.0.0.1:" + port).statusCode()).isEqualTo(401);
        ws("https://app.example").close();
    }

    @Test
    void webSocketFromAForeignOriginIsRefused() throws Exception {
        start();

        Throwable refused = catchThrowable(() -> ws("http://evil.example"));

        assertThat(refused).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(WebSocketHandshakeException.class);
        HttpResponse<?> response = ((WebSocketHandshakeException) refused.getCause()).getResponse();
        assertThat(response.statusCode()).isEqualTo(401);
        ws("http://127.0.0.1:" + port).close();
    }

    @Test
    void joinSignalAckPresenceAndCleanLeave() throws Exception {
        start();
        String code = createRoom("");
        WsClient a = ws();
        WsClient b = ws();
        String aId = join(a, code, "Ann").get("peerId").asText();
        JsonNode bJoined = join(b, code, "Bob");
        String bId = bJoined.get("peerId").asText();
        assertThat(a.next("presence_diff").get("joins").get(bId).get("name").asText()).isEqualTo("Bob");
        assertThat(bJoined.get("presence").has(aId)).isTrue();

        b.send("{\"type\":\"signal\",\"ref\":\"o1\",\"to\":\"" + aId + "\",\"payload\":{\"type\":\"offer\"}}");
        assertThat(b.next("ack").get("ref").asText()).isEqualTo("o1");
        JsonNode signal = a.next("signal");
        assertThat(signal.get("from").asText()).isEqualTo(bId);
        assertThat(signal.get("payload").get("type").asText()).isEqualTo("offer");

        a.send("{\"type\":\"heartbeat\",\"ref\":9}");
        assertThat(a.next("heartbeat").get("ref").asInt()).isEqualTo(9);
        assertThat(json(get("/api/rooms/" + code)).get("members").asInt()).isEqualTo(2);

        b.close();
        assertThat(a.next("presence_diff").get("leaves").has(bId)).isTrue();
        assertThat(json(get("/api/rooms/" + code)).get("members").asInt()).isEqualTo(1);

        a.send("{\"type\":\"leave\",\"ref\":\"l\"}");
        assertThat(a.next("left").get("room").asText()).isEqualTo(code);
        assertThat(json(get("/api/rooms/" + code)).get("members").asInt()).isZero();
    }

    @Test
    void selfEchoesOwnSignals() throws Exception {
        start();
        String code = createRoom("");
        WsClient a = ws();
        a.send("{\"type\":\"join\",\"room\":\"" + code + "\",\"config\":{\"self\":true}}");
        String aId = a.next("joined").get("peerId").asText();
        a.next("presence_state");

        a.send("{\"type\":\"signal\",\"ref\":\"s\",\"payload\":{\"type\":\"candidate\"}}");

        JsonNode echo = a.next("signal");
        assertThat(echo.get("from").asText()).isEqualTo(aId);
        a.expectNothingFor(Duration.ofMillis(200));
    }

    @Test
    void everyErrorCodeOverTheSocket() throws Exception {
        start("signaling.room-ttl-default=1s");
        String code = createRoom("");
        WsClient a = ws();

        a.send("not json");
        assertThat(a.error("bad_message").get("ref").isNull()).isTrue();
        a.sendBinary(new byte[] {1, 2, 3});
        a.error("bad_message");
        a.send("{\"type\":\"join\",\"ref\":1,\"room\":\"ZZZZZZZZ\"}");
        assertThat(a.error("room_not_found").get("ref").asInt()).isEqualTo(1);
        a.send("{\"type\":\"resume\",\"ref\":2,\"token\":\"abc.def\"}");
        a.error("unauthorized");

        join(a, code, "Ann");
        join(ws(), code, "Bob");
        a.next("presence_diff");
        WsClient c = ws();
        c.send("{\"type\":\"join\",\"ref\":3,\"room\":\"" + code + "\"}");
        c.error("room_full");

        // The room lives 1 s; the sweep tells its members.
        assertThat(a.error("room_expired").get("ref").isNull()).isTrue();
        c.send("{\"type\":\"join\",\"ref\":4,\"room\":\"" + code + "\"}");
        c.error("room_not_found");
        SignalingStats stats = server.stats();
        assertThat(stats.errors(ErrorCode.BAD_MESSAGE)).isGreaterThanOrEqualTo(2);
        assertThat(stats.errors(ErrorCode.ROOM_NOT_FOUND)).isGreaterThanOrEqualTo(2);
        assertThat(stats.errors(ErrorCode.UNAUTHORIZED)).isEqualTo(1);
        assertThat(stats.errors(ErrorCode.ROOM_FULL)).isEqualTo(1);
        assertThat(stats.errors(ErrorCode.ROOM_EXPIRED)).isGreaterThanOrEqualTo(1);
    }

    @Test
    void roomCreationFloodIsRateLimitedPerAddress() throws Exception {
        start("signaling.room-creation-rate=0.01", "signaling.room-creation-burst=3");
        String code = createRoom("");
        createRoom("");
        createRoom("");
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> refused = post("/api/rooms", "");
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(json(refused).get("code").asText()).isEqualTo("rate_limited");
        }
        assertThat(server.stats().errors(ErrorCode.RATE_LIMITED)).isEqualTo(5);
        // the rooms already made still work, and so does everything but creation
        assertThat(get("/api/rooms/" + code).statusCode()).isEqualTo(200);
        join(ws(), code, "Ann");
    }

    @Test
    void forgedResumeTokensAndCrossRoomSignalsAreRefused() throws Exception {
        start();
        String roomA = createRoom("");
        String roomB = createRoom("");
        WsClient a = ws();
        WsClient b = ws();
        JsonNode aJoined = join(a, roomA, "Ann");
        String token = aJoined.get("token").asText();
        String bId = join(b, roomB, "Bob").get("peerId").asText();
        SignalingStats stats = server.stats();

        a.send("{\"type\":\"signal\",\"ref\":\"x\",\"to\":\"" + bId + "\",\"payload\":{\"type\":\"offer\"}}");
        assertThat(a.error("bad_message").get("ref").asText()).isEqualTo("x");
        b.expectNothingFor(Duration.ofMillis(200));
        assertThat(stats.errors(ErrorCode.BAD_MESSAGE)).isEqualTo(1);

        char last = token.charAt(token.length() - 1);
        List<String> forgeries = List.of(
                token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A'),
                token.substring(0, token.length() / 2),
                token + "A",
                token.replace('.', '_'));
        for (String forged : forgeries) {
            WsClient m = ws();
            m.send("{\"type\":\"resume\",\"ref\":1,\"token\":\"" + forged + "\"}");
            m.error("unauthorized");
        }
        assertThat(stats.errors(ErrorCode.UNAUTHORIZED)).isEqualTo(forgeries.size());
        // the real member is untouched and the server keeps serving
        a.send("{\"type\":\"heartbeat\",\"ref\":7}");
        assertThat(a.next("heartbeat").get("ref").asInt()).isEqualTo(7);
        assertThat(json(get("/api/rooms/" + roomA)).get("members").asInt()).isEqualTo(1);
    }

    @Test
    void messageSizeLimit() throws Exception {
        start("signaling.max-message-size=1024");
        WsClient a = ws();
        String filler = "a".repeat(1024);

        a.send("{\"type\":\"heartbeat\",\"ref\":\"" + filler + "\"}");
        a.error("too_large");
        a.send("{\"type\":\"heartbeat\",\"ref\":1}");
        a.next("heartbeat");

        // Far beyond the limit the server stops reading: 1009 Message Too Big.
        a.send("x".repeat(8192));
        assertThat(a.closeCode()).isEqualTo(1009);
        assertThat(server.stats().errors(ErrorCode.TOO_LARGE)).isEqualTo(1);
        ws().send("{\"type\":\"heartbeat\"}"); // still serving
    }

    @Test
    void messageRateLimit() throws Exception {
        start("signaling.message-rate=1", "signaling.message-burst=3");
        WsClient a = ws();

        for (int i = 0; i < 5; i++) {
            a.send("{\"type\":\"heartbeat\",\"ref\":" + i + "}");
        }

        for (int i = 0; i < 3; i++) {
            assertThat(a.next("heartbeat").get("ref").asInt()).isEqualTo(i);
        }
        a.error("rate_limited");
        a.error("rate_limited");
        Thread.sleep(1100);
        a.send("{\"type\":\"heartbeat\",\"ref\":5}");
        a.next("heartbeat");
        assertThat(server.stats().errors(ErrorCode.RATE_LIMITED)).isEqualTo(2);
        assertThat(server.stats().rateLimited.sum()).isEqualTo(2);
    }

    /** Issue 10 #9: 300 silent connections from one address; all but the limit are closed at accept. */
    @Test
    void connectionsOverThePerAddressLimitAreClosedAtAccept() throws Exception {
        start("signaling.connections-per-ip=32", "signaling.room-lookup-rate=0");
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Socket socket = new Socket("127.0.0.1", port);
            toClose.add(socket);
            sockets.add(socket);
        }
        // nothing was sent: the server judged them when it accepted them. Bounded in time.
        List<Socket> open = new ArrayList<>(sockets);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (open.size() > 32 && System.nanoTime() < deadline) {
            for (java.util.Iterator<Socket> it = open.iterator(); it.hasNext(); ) {
                if (closedByServer(it.next())) {
                    it.remove();
                }
            }
        }
        assertThat(open).as("connections left open").hasSize(32);
        assertThat(server.stats().errors(ErrorCode.RATE_LIMITED)).isEqualTo(268);
        for (Socket socket : open) { // the ones kept are served
            socket.setSoTimeout(5000);
            assertThat(exchange(socket, "GET /api/rooms/ABCDEFGH HTTP/1.1\r\nHost: x\r\n\r\n"))
                    .startsWith("HTTP/1.1 404");
        }
        for (Socket socket : sockets) {
            socket.close();
        }
        // Closed connections are forgotten: the WebSocket below is let in.
        Thread.sleep(300);
        ws().send("{\"type\":\"heartbeat\"}");
    }

    private static boolean closedByServer(Socket socket) throws Exception {
        socket.setSoTimeout(1);
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    private Socket from(String localAddress) throws Exception {
        Socket socket = new Socket();
        toClose.add(socket);
        socket.bind(new InetSocketAddress(localAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        return socket;
    }

    private static String lookup(String forwardedFor) {
        return "GET /api/rooms/ABCDEFGH HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + forwardedFor + "\r\n\r\n";
    }

    /** Issue 10 #7: behind a trusted reverse proxy, the 33rd client no longer shares the proxy's limit. */
    @Test
    void throughATrustedProxyEachClientCountsByItsForwardedAddress() throws Exception {
        start("signaling.trusted-proxies=127.0.0.1", "signaling.room-lookup-rate=0");
        for (int i = 1; i <= 40; i++) { // 40 clients, each on its own held connection through the proxy
            assertThat(exchange(from("127.0.0.1"), lookup("203.0.113.9, 198.51.100." + i)))
                    .as("client " + i).startsWith("HTTP/1.1 404");
        }
        // one client behind the proxy still has the limit (32)
        for (int i = 1; i <= 32; i++) {
            assertThat(exchange(from("127.0.0.1"), lookup("192.0.2.7"))).startsWith("HTTP/1.1 404");
        }
        String over = exchange(from("127.0.0.1"), lookup("192.0.2.7"));
        assertThat(over).startsWith("HTTP/1.1 429").contains("\"code\":\"rate_limited\"");

        // room creation counts per client too: the burst (20) of one client does not hold back another
        for (int i = 0; i < 20; i++) {
            assertThat(post("/api/rooms", "", "X-Forwarded-For", "192.0.2.50").statusCode()).isEqualTo(201);
        }
        assertThat(post("/api/rooms", "", "X-Forwarded-For", "192.0.2.50").statusCode()).isEqualTo(429);
        assertThat(post("/api/rooms", "", "Forwarded", "for=192.0.2.51").statusCode()).isEqualTo(201);
    }

    @Test
    void forwardingHeadersFromAnUntrustedPeerChangeNothing() throws Exception {
        start("signaling.trusted-proxies=127.0.0.2", "signaling.connections-per-ip=2", "signaling.room-lookup-rate=0");
        // One at a time: accepted connections are counted on their own event loops, so three opened at once may
        // be counted in any order (the limit holds, but which one is refused would not be known).
        Socket one = from("127.0.0.1");
        assertThat(exchange(one, lookup("198.51.100.1"))).startsWith("HTTP/1.1 404");
        Socket two = from("127.0.0.1");
        assertThat(exchange(two, lookup("198.51.100.2"))).startsWith("HTTP/1.1 404");
        Socket three = from("127.0.0.1");
        assertThat(exchange(three, lookup("198.51.100.3"))).as("closed at accept, whatever it claims").isEmpty();
        // the trusted proxy (127.0.0.2) speaks for its clients
        for (int i = 1; i <= 3; i++) {
            assertThat(exchange(from("127.0.0.2"), lookup("198.51.100." + i))).startsWith("HTTP/1.1 404");
        }
    }

    /** Issue 10 #9: a byte every so often no longer keeps an HTTP connection open; WebSockets are unaffected. */
    @Test
    void slowlorisIsClosedAtTheRequestDeadline() throws Exception {
        start("signaling.request-timeout=1s", "signaling.heartbeat-interval=10s", "signaling.heartbeat-timeout=20s");
        WsClient ws = ws(); // upgraded before the deadline: the deadline leaves with the HTTP codec
        try (Socket silent = new Socket("127.0.0.1", port); Socket slow = new Socket("127.0.0.1", port)) {
            silent.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] header = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            int sent = 0;
            boolean closed = false;
            try {
                // one byte per 100 ms: every byte would reset an idle timer (60 s here); bounded at 8 s
                while (sent < header.length && !closed) {
                    out.write(header[sent++]);
                    out.flush();
                    Thread.sleep(100);
                    closed = closedByServer(slow);
                }
            } catch (java.net.SocketException reset) {
                closed = true;
            }
            assertThat(closed).as("closed before the head was complete").isTrue();
            assertThat(sent).isLessThan(header.length);
            assertThat(silent.getInputStream().read()).as("a silent connection too").isEqualTo(-1);
        }
        assertThat(server.stats().requestTimeouts.sum()).isEqualTo(2);
        Thread.sleep(300);
        ws.send("{\"type\":\"heartbeat\",\"ref\":1}");
        assertThat(ws.next("heartbeat").get("ref").asInt()).isEqualTo(1);
        // a keep-alive connection gets a fresh deadline for each request
        try (Socket keepAlive = new Socket("127.0.0.1", port)) {
            keepAlive.setSoTimeout(5000);
            for (int i = 0; i < 3; i++) {
                assertThat(exchange(keepAlive, "GET /api/rooms/ABCDEFGH HTTP/1.1\r\nHost: x\r\n\r\n"))
                        .startsWith("HTTP/1.1 404");
                Thread.sleep(600);
            }
        }
    }

    private static String exchange(Socket socket, String request) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && !text.toString().contains("}")) {
            int n;
            try {
                n = in.read(buffer);
            } catch (java.net.SocketException reset) {
                break; // closed by the server before or after answering
            }
            if (n < 0) {
                break;
            }
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    @Test
    void idleTimeoutClosesSocketsOutsideRoomsAndIdleHttpConnections() throws Exception {
        start("signaling.idle-timeout=300ms");
        WsClient idle = ws();

        assertThat(idle.closeCode()).isEqualTo(4000);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            assertThat(socket.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        }
    }

    @Test
    void heartbeatTimeoutDropsTheSocketButThePeerResumes() throws Exception {
        start("signaling.heartbeat-interval=100ms", "signaling.heartbeat-timeout=500ms");
        String code = createRoom("");
        WsClient a = ws();
        WsClient b = ws();
        JsonNode aJoined = join(a, code, "Ann");
        join(b, code, "Bob");
        a.next("presence_diff");

        // a stays silent; b keeps its heartbeats up.
        for (int i = 0; i < 8; i++) {
            b.send("{\"type\":\"heartbeat\"}");
            b.next("heartbeat");
            Thread.sleep(100);
        }
        assertThat(a.closeCode()).isEqualTo(4001);

        b.send("{\"type\":\"signal\",\"payload\":{\"while\":\"away\"}}");
        WsClient a2 = ws();
        a2.send("{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + aJoined.get("token").asText() + "\"}");
        JsonNode resumed = a2.next("joined");
        assertThat(resumed.get("resumed").asBoolean()).isTrue();
        assertThat(resumed.get("peerId").asText()).isEqualTo(aJoined.get("peerId").asText());
        a2.next("presence_state");
        assertThat(a2.next("signal").get("payload").get("while").asText()).isEqualTo("away");
        b.send("{\"type\":\"heartbeat\",\"ref\":\"b\"}");
        assertThat(b.next().get("type").asText()).as("no presence change").isEqualTo("heartbeat");
    }

    @Test
    void droppedConnectionLeavesAfterTheGrace() throws Exception {
        start("signaling.resume-grace=500ms");
        String code = createRoom("");
        WsClient a = ws();
        WsClient b = ws();
        String aId = join(a, code, "Ann").get("peerId").asText();
        join(b, code, "Bob");

        a.abort();

        b.expectNothingFor(Duration.ofMillis(300));
        assertThat(b.next("presence_diff").get("leaves").has(aId)).isTrue();
    }

    @Test
    void iceServersForMembers() throws Exception {
        start();
        String code = createRoom("");
        JsonNode joined = join(ws(), code, "Ann");
        String token = joined.get("token").asText();

        HttpResponse<String> ok = get("/api/rooms/" + code + "/ice-servers", "Authorization", "Bearer " + token);
        HttpResponse<String> none = get("/api/rooms/" + code + "/ice-servers");
        HttpResponse<String> forged = get("/api/rooms/" + code + "/ice-servers", "Authorization", "Bearer x.y");

        assertThat(ok.statusCode()).isEqualTo(200);
        JsonNode turn = json(ok).get("iceServers").get(1);
        assertThat(turn.get("urls").get(0).asText()).isEqualTo("turn:127.0.0.1:3478?transport=udp");
        assertThat(turn.get("credential").asText()).isEqualTo(
                RestCredentials.password(new Secret(TestSettings.SECRET), turn.get("username").asText()));
        assertThat(json(ok).get("ttl").asLong()).isEqualTo(3600);
        assertThat(json(ok).has("expiresAt")).isTrue();
        assertThat(ok.headers().firstValue("cache-control")).contains("no-store");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(json(forged).get("code").asText()).isEqualTo("unauthorized");
    }

    @Test
    void turnRestApiIsOffWithoutAKey() throws Exception {
        start();

        assertThat(get("/api/turn?service=turn&username=alice&key=").statusCode()).isEqualTo(404);
    }

    @Test
    void turnRestApiWithAKey() throws Exception {
        start("signaling.api-key=k3y", "signaling.turn-uris=turn:192.0.2.1:3478?transport=udp");

        HttpResponse<String> ok = get("/api/turn?service=turn&username=alice&key=k3y");
        HttpResponse<String> wrong = get("/api/turn?service=turn&username=alice&key=nope");

        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("username").asText()).endsWith(":alice");
        assertThat(json(ok).get("uris").toString()).isEqualTo("[\"turn:192.0.2.1:3478?transport=udp\"]");
        assertThat(wrong.statusCode()).isEqualTo(401);
    }

    @Test
    void closeTellsClientsTheServerIsGoingAway() throws Exception {
        start();
        WsClient a = ws();
        // the client's handshake can complete before the server's hub has taken the connection in; the
        // shutdown under test is the hub's, so wait until the hub holds it
        for (int i = 0; i < 250 && server.connectionCount() < 1; i++) {
            Thread.sleep(20);
        }
        assertThat(server.connectionCount()).as("connections the hub holds").isEqualTo(1);

        server.close();

        assertThat(a.closeCode()).isEqualTo(1001);
        server = null;
    }
}
