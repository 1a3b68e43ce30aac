package dev.turnbridge.signaling.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SignalingApiTest {

    private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.api-key=k3y", "signaling.max-rooms=2",
            "signaling.room-creation-rate=0"); // no per-address limit here; 2 rooms would not hold its capacity math
    private final InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 2, Duration.ofHours(24));
    private final IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
            new TurnUris(List.of(), "", 3478));
    private final SignalingApi api = new SignalingApi(settings.signaling(), rooms,
            new SignalingHub(settings.signaling(), rooms, issuer, clock, new SecureRandom()), issuer,
            new Secret(TestSettings.SECRET), clock);

    @Test
    void createsRoomsWithDefaultsOrRequestedValues() {
        ApiResponse plain = api.createRoom("");
        ApiResponse custom = api.createRoom("{\"capacity\":16,\"ttl\":86400}");

        assertThat(plain.status()).isEqualTo(201);
        assertThat(plain.body().get("capacity").asInt()).isEqualTo(2);
        assertThat(plain.body().get("ttl").asLong()).isEqualTo(7200);
        assertThat(plain.body().get("members").asInt()).isZero();
        assertThat(plain.body().get("code").asText()).hasSize(8);
        assertThat(custom.body().get("capacity").asInt()).isEqualTo(16);
        assertThat(custom.body().get("expiresAt").asText()).isEqualTo("2026-01-02T00:00:00Z");
        assertThat(api.createRoom("{}").status()).as("max-rooms").isEqualTo(429);
        assertThat(api.createRoom("{}").body().get("code").asText()).isEqualTo("rate_limited");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"capacity\":17}      | capacity: 17 (expected: 1..16)",
            "{\"capacity\":0}       | capacity: 0 (expected: 1..16)",
            "{\"capacity\":\"2\"}   | capacity: \"2\" (expected: 1..16)",
            "{\"ttl\":86401}        | ttl: 86401 (expected: 1..86400 seconds)",
            "{\"ttl\":1.5}          | ttl: 1.5 (expected: 1..86400 seconds)",
            "[]                     | body must be a JSON object",
            "{                      | body is not JSON",
    })
    void refusesBadRoomRequests(String body, String message) {
        ApiResponse response = api.createRoom(body.trim());

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().get("code").asText()).isEqualTo("bad_message");
        assertThat(response.body().get("message").asText()).isEqualTo(message);
    }

    @Test
    void roomInfoTellsNothingAboutMembers() {
        String code = api.createRoom("{\"ttl\":60}").body().get("code").asText();

        ApiResponse info = api.room(code.toLowerCase(), CLIENT);

        assertThat(info.status()).isEqualTo(200);
        assertThat(info.body().fieldNames()).toIterable()
                .containsExactly("code", "capacity", "members", "expiresAt", "ttl", "visibility");
        assertThat(api.room("ZZZZZZZZ", CLIENT).status()).isEqualTo(404);
        assertThat(api.room("x", CLIENT).body().get("code").asText()).isEqualTo("room_not_found");
        clock.advance(Duration.ofSeconds(60));
        assertThat(api.room(code, CLIENT).status()).isEqualTo(410);
        assertThat(api.room(code, CLIENT).body().get("code").asText()).isEqualTo("room_expired");
    }

    @Test
    void expiredRoomAnswers410AfterTheSweepForAsLongAsItsCodeIsReserved() {
        String code = api.createRoom("{\"ttl\":60}").body().get("code").asText();
        clock.advance(Duration.ofSeconds(60));
        assertThat(rooms.removeExpired(clock.instant())).hasSize(1);

        assertThat(api.room(code, CLIENT).status()).as("after the sweep").isEqualTo(410);
        assertThat(api.room(code, CLIENT).body().get("code").asText()).isEqualTo("room_expired");
        clock.advance(Duration.ofHours(24).minusSeconds(1));
        rooms.removeExpired(clock.instant());
        assertThat(api.room(code, CLIENT).status()).as("still reserved").isEqualTo(410);

        clock.advance(Duration.ofSeconds(1));
        rooms.removeExpired(clock.instant());
        assertThat(api.room(code, CLIENT).status()).as("reservation over (room-ttl-max)").isEqualTo(404);
    }

    @Test
    void reservedCodesAreBoundedByMaxRooms() {
        List<String> codes = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) { // max-rooms is 2
            codes.add(api.createRoom("{\"ttl\":1}").body().get("code").asText());
            clock.advance(Duration.ofSeconds(1));
            rooms.removeExpired(clock.instant());
        }
        assertThat(codes.stream().filter(rooms::isRetired)).as("the oldest released first")
                .containsExactly(codes.get(1), codes.get(2));
    }

    @Test
    void lookupsAreRateLimitedPerAddress() throws Exception {
        InetAddress other = InetAddress.getByAddress(new byte[] {10, 0, 0, 2});
        int ok = 0;
        for (int i = 0; i < 100; i++) {
            if (api.room("ABCDEFGH", CLIENT).status() == 404) {
                ok++;
            }
        }
        assertThat(ok).as("the burst (room-lookup-burst)").isEqualTo(20);
        ApiResponse refused = api.room("ABCDEFGH", CLIENT);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.body().get("code").asText()).isEqualTo("rate_limited");
        assertThat(api.room("ABCDEFGH", other).status()).as("another address").isEqualTo(404);
        clock.advance(Duration.ofMillis(200)); // room-lookup-rate 5/s: one more
        assertThat(api.room("ABCDEFGH", CLIENT).status()).isEqualTo(404);
        assertThat(api.room("ABCDEFGH", CLIENT).status()).isEqualTo(429);
    }

    @Test
    void turnRestApi() {
        ApiResponse ok = api.turn("turn", "alice", "k3y", null, "127.0.0.1:8080");
        ApiResponse header = api.turn("turn", "alice", null, "Bearer k3y", "127.0.0.1:8080");

        assertThat(ok.status()).isEqualTo(200);
        String username = ok.body().get("username").asText();
        assertThat(username).isEqualTo(clock.instant().plusSeconds(3600).getEpochSecond() + ":alice");
        assertThat(ok.body().get("password").asText())
                .isEqualTo(RestCredentials.password(new Secret(TestSettings.SECRET), username));
        assertThat(ok.body().get("ttl").asLong()).isEqualTo(3600);
        assertThat(ok.body().get("uris").toString())
                .isEqualTo("[\"stun:127.0.0.1:3478\",\"turn:127.0.0.1:3478?transport=udp\"]");
        assertThat(header.status()).isEqualTo(200);

        assertThat(api.turn("turn", "alice", "wrong", null, null).status()).isEqualTo(401);
        assertThat(api.turn("turn", "alice", null, null, null).body().get("code").asText()).isEqualTo("unauthorized");
        assertThat(api.turn("stun", "alice", "k3y", null, null).status()).isEqualTo(400);
        assertThat(api.turn("turn", null, "k3y", null, null).status()).isEqualTo(400);
        assertThat(api.turn("turn", "a b", "k3y", null, null).status()).isEqualTo(400);
    }
}
