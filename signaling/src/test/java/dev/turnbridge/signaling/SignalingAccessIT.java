package dev.turnbridge.signaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.AccessStats;
import dev.turnbridge.signaling.access.Jwts;
import dev.turnbridge.signaling.message.Json;
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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Access control over loopback sockets, per mode: every kind of bad token is refused on the WebSocket upgrade
 * and on the HTTP API with {@code unauthorized} and its reason; rooms apply their policy ({@code forbidden});
 * a JWKS served on loopback is rotated; rooms-per-user holds; api-key mode mints join tokens.
 */
class SignalingAccessIT {

    private static final String ISSUER = "https://idp.test/auth/v1";
    private static final byte[] HS_SECRET = "a-supabase-style-jwt-secret-of-40-chars!".getBytes(StandardCharsets.UTF_8);
    private static final String API_KEY = "backend-api-key-0123456789";

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.now());
    private final AtomicReference<String> jwks = new AtomicReference<>("{\"keys\":[]}");
    private final AtomicInteger jwksFetches = new AtomicInteger();
    private HttpServer idp;
    private SignalingServer server;
    private int port;

    private void start(String... overrides) throws Exception {
        server = new SignalingServer(TestSettings.with(overrides), 3478, clock, boss, workers,
                NioServerSocketChannel.class);
        port = server.start().get(0).getPort();
    }

    /** An identity provider's JWKS endpoint on loopback, serving {@link #jwks}. */
    private String startIdp() throws Exception {
        idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        idp.createContext("/auth/v1/.well-known/jwks.json", exchange -> {
            jwksFetches.incrementAndGet();
            byte[] body = jwks.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        idp.start();
        return "http://127.0.0.1:" + idp.getAddress().getPort() + "/auth/v1/.well-known/jwks.json";
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
        if (idp != null) {
            idp.stop(0);
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // --- helpers

    private JWTClaimsSet claims(String sub, Object... extra) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < extra.length; i += 2) {
            m.put((String) extra[i], extra[i + 1]);
        }
        return Jwts.claims(sub, clock.instant(), m);
    }

    private HttpResponse<String> post(String path, String body, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).GET();
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String createRoom(String bearer, String body) throws Exception {
        HttpResponse<String> created = post("/api/rooms", body, bearer);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return Json.MAPPER.readTree(created.body()).get("code").asText();
    }

    private WsClient ws(String token) throws Exception {
        String query = token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws/v1" + query), null);
        toClose.add(client);
        return client;
    }

    private static void sendJoin(WsClient c, String code, String meta) throws Exception {
        c.send("{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code + "\",\"meta\":" + meta + "}");
    }

    private static JsonNode join(WsClient c, String code) throws Exception {
        sendJoin(c, code, "{\"name\":\"x\"}");
        JsonNode joined = c.next("joined");
        c.next("presence_state");
        return joined;
    }

    /** The raw answer to a WebSocket upgrade: status code and body. */
    private Upgrade upgrade(String token) throws Exception {
        String query = token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /ws/v1" + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            return new Upgrade(status, body.isEmpty() ? Json.object() : Json.MAPPER.readTree(body), response);
        }
    }

    private record Upgrade(int status, JsonNode body, String raw) {
    }

    /** Refused as unauthorized, with {@code reason} in the message, on the WebSocket upgrade and on the API. */
    private void assertUnauthorized(String token, String reason) throws Exception {
        Upgrade u = upgrade(token);
        assertThat(u.status()).as("upgrade: %s", u.raw()).isEqualTo(401);
        assertThat(u.body().get("code").asText()).isEqualTo("unauthorized");
        assertThat(u.body().get("message").asText()).contains(reason);
        assertThat(u.raw()).containsIgnoringCase("WWW-Authenticate: Bearer");

        HttpResponse<String> create = post("/api/rooms", "{}", token);
        assertThat(create.statusCode()).as("POST /api/rooms: %s", create.body()).isEqualTo(401);
        JsonNode body = Json.MAPPER.readTree(create.body());
        assertThat(body.get("code").asText()).isEqualTo("unauthorized");
        assertThat(body.get("message").asText()).contains(reason);
    }

    private long count(AccessMode mode, String outcome) {
        return server.accessStats().count(mode, AccessStats.OUTCOMES.indexOf(outcome));
    }

    // --- jwt mode with a JWKS URL (asymmetric keys)

    @Test
    void jwtModeAcceptsRsEsAndEdDsaTokensFromAJwksUrlAndRefusesEveryBadOne() throws Exception {
        RSAKey rsa = Jwts.rsa("rsa-1");
        ECKey ec = Jwts.ec("ec-1");
        Jwts.Ed25519 ed = Jwts.ed25519("ed-1");
        jwks.set(Jwts.jwks(rsa, ec, ed.publicJwk()));
        start("signaling.access=jwt", "signaling.jwt.jwks-url=" + startIdp(), "signaling.jwt.issuer=" + ISSUER,
                "signaling.jwt.clock-skew=5s", "signaling.idle-timeout=1h");

        // good tokens of each algorithm create rooms and join them; sub becomes user_id in presence
        String alice = Jwts.rs256(rsa, claims("alice"));
        String code = createRoom(alice, "{\"visibility\":\"public\"}");
        JsonNode joined = join(ws(alice), code);
        assertThat(joined.get("presence").get(joined.get("peerId").asText()).get("user_id").asText())
                .isEqualTo("alice");
        join(ws(Jwts.es256(ec, claims("bob"))), code);
        assertThat(get("/api/rooms/" + code, Jwts.eddsa(ed, claims("carol"))).statusCode()).isEqualTo(200);

        RSAKey stranger = Jwts.rsa("rsa-1"); // same kid, other key: a forged signature
        Instant now = clock.instant();
        assertUnauthorized(null, "a bearer token is required");
        assertUnauthorized("not.a.jwt", "not a signed JWT");
        assertUnauthorized(Jwts.rs256(rsa, claims("alice", "exp", now.minusSeconds(60))), "expired");
        assertUnauthorized(Jwts.rs256(rsa, claims("alice", "nbf", now.plusSeconds(120))), "not valid yet");
        assertUnauthorized(Jwts.rs256(rsa, claims("alice", "aud", "anon")), "audience");
        assertUnauthorized(Jwts.rs256(rsa, claims("alice", "iss", "https://evil.test/auth/v1")), "issuer");
        assertUnauthorized(Jwts.rs256(stranger, claims("alice")), "signature does not verify");
        assertUnauthorized(Jwts.rs256(Jwts.rsa("rsa-unknown"), claims("alice")), "key id is unknown");
        assertUnauthorized(Jwts.unsecured(claims("alice")), "algorithm is not accepted: none");
        assertUnauthorized(Jwts.confused(rsa, claims("alice")), "algorithm is not accepted: HS256");
        assertUnauthorized(Jwts.rs256(rsa, claims(null)), "lacks a required claim: sub");

        // a token that expires while its connection is open no longer joins
        WsClient late = ws(Jwts.rs256(rsa, claims("dave", "exp", now.plusSeconds(30))));
        clock.advance(Duration.ofSeconds(60));
        sendJoin(late, code, "{}");
        assertThat(late.error("unauthorized").get("message").asText()).contains("expired");

        assertThat(count(AccessMode.JWT, "ok")).isGreaterThanOrEqualTo(4);
        assertThat(count(AccessMode.JWT, "expired")).isGreaterThanOrEqualTo(3);
        for (String reason : List.of("missing", "malformed", "not_yet_valid", "wrong_audience", "wrong_issuer",
                "bad_signature", "unknown_key", "missing_claim")) {
            assertThat(count(AccessMode.JWT, reason)).as(reason).isEqualTo(2); // upgrade + API
        }
        assertThat(count(AccessMode.JWT, "algorithm")).isEqualTo(4); // none and HS256, each on upgrade + API
    }

    @Test
    void jwksRotationIsPickedUpOnAnUnknownKidAtMostOncePerMinRefresh() throws Exception {
        RSAKey old = Jwts.rsa("2025");
        RSAKey rotated = Jwts.rsa("2026");
        jwks.set(Jwts.jwks(old));
        start("signaling.access=jwt", "signaling.jwt.jwks-url=" + startIdp(), "signaling.jwt.jwks-min-refresh=5s");
        assertThat(createRoom(Jwts.rs256(old, claims("alice")), "{}")).hasSize(8);
        int fetches = jwksFetches.get();
        clock.advance(Duration.ofSeconds(6)); // the first read was an attempt too

        // the identity provider starts signing with a key it has not published yet: refused, one re-read
        assertUnauthorized(Jwts.rs256(rotated, claims("alice")), "key id is unknown");
        assertThat(jwksFetches.get()).isEqualTo(fetches + 1);
        // it publishes the key; within jwks-min-refresh of the last read, unknown kids do not fetch again
        jwks.set(Jwts.jwks(old, rotated));
        assertUnauthorized(Jwts.rs256(rotated, claims("alice")), "key id is unknown");
        assertThat(jwksFetches.get()).isEqualTo(fetches + 1);
        // after it, the next unknown kid re-reads and the rotated key works
        clock.advance(Duration.ofSeconds(6));
        assertThat(createRoom(Jwts.rs256(rotated, claims("alice")), "{}")).hasSize(8);
        assertThat(jwksFetches.get()).isEqualTo(fetches + 2);
    }

    // --- jwt mode with an HS256 secret (a Supabase project's JWT secret)

    @Test
    void jwtModeWithASharedSecretRefusesOtherSecretsAndAsymmetricAlgorithms() throws Exception {
        start("signaling.access=jwt", "signaling.jwt.secret=" + new String(HS_SECRET, StandardCharsets.UTF_8));
        String code = createRoom(Jwts.hs256(HS_SECRET, claims("alice")), "{}");
        assertThat(code).hasSize(8);

        assertUnauthorized(Jwts.hs256("another-projects-secret-of-32-bytes!!".getBytes(StandardCharsets.UTF_8),
                claims("alice")), "signature does not verify");
        assertUnauthorized(Jwts.rs256(Jwts.rsa("rsa-1"), claims("alice")), "algorithm is not accepted: RS256");
        assertUnauthorized(Jwts.unsecured(claims("alice")), "algorithm is not accepted: none");
    }

    // --- room policy

    @Test
    void privateRoomsAdmitTheirCreatorAndTokensNamingThemOnly() throws Exception {
        start("signaling.access=jwt", "signaling.jwt.secret=" + new String(HS_SECRET, StandardCharsets.UTF_8));
        String alice = Jwts.hs256(HS_SECRET, claims("alice"));
        String priv = createRoom(alice, "{\"capacity\":4}"); // private unless asked otherwise
        String other = createRoom(alice, "{}");
        String open = createRoom(alice, "{\"visibility\":\"public\",\"capacity\":4}");

        String bob = Jwts.hs256(HS_SECRET, claims("bob"));
        String bobForOther = Jwts.hs256(HS_SECRET, claims("bob", "room", other));
        String bobForPriv = Jwts.hs256(HS_SECRET, claims("bob", "room", Jwts.rooms(other, priv.toLowerCase())));

        // a valid token for another room (or none) is forbidden, over WS and HTTP
        WsClient b = ws(bob);
        sendJoin(b, priv, "{}");
        assertThat(b.error("forbidden").get("message").asText()).contains("creator");
        WsClient b2 = ws(bobForOther);
        sendJoin(b2, priv, "{}");
        b2.error("forbidden");
        HttpResponse<String> lookup = get("/api/rooms/" + priv, bobForOther);
        assertThat(lookup.statusCode()).isEqualTo(403);
        assertThat(Json.MAPPER.readTree(lookup.body()).get("code").asText()).isEqualTo("forbidden");
        assertThat(get("/api/rooms/" + priv, null).statusCode()).as("no token").isEqualTo(401);

        // the creator, and a token naming the room, get in; client-sent user_id is replaced by sub
        WsClient a = ws(alice);
        sendJoin(a, priv, "{\"name\":\"Ann\",\"user_id\":\"mallory\"}");
        JsonNode joined = a.next("joined");
        a.next("presence_state");
        assertThat(joined.get("presence").get(joined.get("peerId").asText()).get("user_id").asText())
                .isEqualTo("alice");
        JsonNode bobJoined = join(ws(bobForPriv), priv);
        JsonNode diff = a.next("presence_diff");
        assertThat(diff.get("joins").get(bobJoined.get("peerId").asText()).get("user_id").asText()).isEqualTo("bob");
        assertThat(server.userId(priv, bobJoined.get("peerId").asText())).contains("bob");
        assertThat(get("/api/rooms/" + priv, bobForPriv).statusCode()).isEqualTo(200);

        // a public room admits any valid token
        join(ws(bob), open);
        assertThat(count(AccessMode.JWT, "forbidden")).isEqualTo(3);

        // a resume token carries a seat over only for the same user
        String seat = joined.get("token").asText();
        a.abort();
        WsClient thief = ws(bob);
        thief.send("{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + seat + "\"}");
        assertThat(thief.error("forbidden").get("message").asText()).contains("another user");
        WsClient back = ws(Jwts.hs256(HS_SECRET, claims("alice")));
        back.send("{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + seat + "\"}");
        assertThat(back.next("joined").get("resumed").asBoolean()).isTrue();
    }

    @Test
    void roomsPerUserCountsLiveRoomsPerCreator() throws Exception {
        start("signaling.access=jwt", "signaling.jwt.secret=" + new String(HS_SECRET, StandardCharsets.UTF_8),
                "signaling.rooms-per-user=2", "signaling.room-ttl-max=1h", "signaling.room-ttl-default=1h",
                "signaling.idle-timeout=24h");
        String alice = Jwts.hs256(HS_SECRET, claims("alice", "exp", clock.instant().plusSeconds(7200)));
        createRoom(alice, "{\"ttl\":60}");
        createRoom(alice, "{}");
        HttpResponse<String> third = post("/api/rooms", "{}", alice);
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(Json.MAPPER.readTree(third.body()).get("message").asText()).contains("rooms-per-user");
        // others are not affected; a room that expired no longer counts
        createRoom(Jwts.hs256(HS_SECRET, claims("bob")), "{}");
        clock.advance(Duration.ofSeconds(61));
        createRoom(alice, "{}");

        // claims bound what a creator may pick, below the server's maxima
        String small = Jwts.hs256(HS_SECRET, claims("carol", "room_capacity_max", 3, "room_ttl_max", 600));
        HttpResponse<String> big = post("/api/rooms", "{\"capacity\":4}", small);
        assertThat(Json.MAPPER.readTree(big.body()).get("message").asText()).isEqualTo("capacity: 4 (expected: 1..3)");
        HttpResponse<String> longRoom = post("/api/rooms", "{\"ttl\":601}", small);
        assertThat(Json.MAPPER.readTree(longRoom.body()).get("message").asText())
                .isEqualTo("ttl: 601 (expected: 1..600 seconds)");
        HttpResponse<String> bounded = post("/api/rooms", "{}", small);
        assertThat(Json.MAPPER.readTree(bounded.body()).get("ttl").asLong()).isEqualTo(600);
    }

    // --- api-key mode

    @Test
    void apiKeyModeLetsOnlyTheBackendCreateRoomsAndMintJoinTokens() throws Exception {
        start("signaling.access=api-key", "signaling.api-key=" + API_KEY);
        assertThat(post("/api/rooms", "{}", null).statusCode()).isEqualTo(401);
        assertThat(post("/api/rooms", "{}", "wrong-key-0123456789").statusCode()).isEqualTo(401);
        String code = createRoom(API_KEY, "{\"user\":\"alice\"}");
        String other = createRoom(API_KEY, "{}");

        // minting needs the key; the token names room and user
        assertThat(post("/api/rooms/" + code + "/tokens", "{\"user\":\"bob\"}", null).statusCode()).isEqualTo(401);
        assertThat(post("/api/rooms/ZZZZZZZZ/tokens", "{\"user\":\"bob\"}", API_KEY).statusCode()).isEqualTo(404);
        assertThat(post("/api/rooms/" + code + "/tokens", "{\"user\":\"bob\",\"ttl\":601}", API_KEY).statusCode())
                .as("beyond join-token-ttl").isEqualTo(400);
        HttpResponse<String> minted = post("/api/rooms/" + code + "/tokens", "{\"user\":\"bob\",\"ttl\":300}",
                API_KEY);
        assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
        JsonNode m = Json.MAPPER.readTree(minted.body());
        assertThat(m.get("room").asText()).isEqualTo(code);
        assertThat(m.get("ttl").asLong()).isEqualTo(300);
        String bob = m.get("token").asText();

        // browsers join with it; it cannot create rooms nor enter another private room
        JsonNode joined = join(ws(bob), code);
        assertThat(joined.get("presence").get(joined.get("peerId").asText()).get("user_id").asText()).isEqualTo("bob");
        assertThat(post("/api/rooms", "{}", bob).statusCode()).isEqualTo(403);
        assertThat(get("/api/rooms/" + code, bob).statusCode()).isEqualTo(200);
        assertThat(get("/api/rooms/" + other, bob).statusCode()).isEqualTo(403);
        assertThat(get("/api/rooms/" + other, API_KEY).statusCode()).isEqualTo(200);
        WsClient elsewhere = ws(bob);
        sendJoin(elsewhere, other, "{}");
        elsewhere.error("forbidden");
        assertUnauthorized(null, "a bearer token is required");
        // an identity provider's JWT means nothing here
        assertUnauthorized(Jwts.hs256(HS_SECRET, claims("bob")), "signature does not verify");
        // and it expires
        clock.advance(Duration.ofSeconds(302));
        assertUnauthorized(bob, "expired");
        assertThat(count(AccessMode.API_KEY, "expired")).isEqualTo(2);
    }

    // --- open mode

    @Test
    void openModeNeedsNoTokenAndWarnsOnlyOffLoopback() throws Exception {
        start("signaling.access=open");
        String code = createRoom(null, "{}");
        JsonNode joined = join(ws(null), code);
        assertThat(joined.get("presence").get(joined.get("peerId").asText()).has("user_id")).isFalse();
        assertThat(server.accessWarning()).isEmpty();
        assertThat(server.userId(code, joined.get("peerId").asText())).isEmpty();

        try (SignalingServer exposed = new SignalingServer(TestSettings.with("signaling.access=open",
                "signaling.listen=0.0.0.0:0"), 3478, clock, boss, workers, NioServerSocketChannel.class)) {
            assertThat(exposed.accessWarning()).hasValueSatisfying(w -> assertThat(w).contains("open", "0.0.0.0"));
        }
        try (SignalingServer jwt = new SignalingServer(TestSettings.with("signaling.access=jwt",
                "signaling.jwt.secret=" + new String(HS_SECRET, StandardCharsets.UTF_8),
                "signaling.listen=0.0.0.0:0"), 3478, clock, boss, workers, NioServerSocketChannel.class)) {
            assertThat(jwt.accessWarning()).isEmpty();
        }
    }
}
