package dev.turnbridge.signaling.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.JoinTokens;
import dev.turnbridge.signaling.access.Jwts;
import dev.turnbridge.signaling.access.JwtVerifier;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.session.SignalingHub;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Realtime front-end with {@code signaling.access: jwt}: users' JWTs on join, refresh and expiry. */
class RealtimeAccessTest {

    private static final byte[] KEY = "realtime-access-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.supabase.anon-keys=anon-key-0123456789abcdef",
            "signaling.turn-credential-ttl=1h");
    private InMemoryRoomRegistry rooms;
    private SignalingHub hub;
    private RealtimeGateway gateway;

    @BeforeEach
    void setUp() {
        rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        AccessControl access = new AccessControl(AccessMode.JWT, new Secret(""),
                new JwtVerifier(List.of(KEY), null, new JwtVerifier.Rules("", List.of("authenticated"),
                        Duration.ZERO, List.of()), clock),
                new JoinTokens(List.of(new Secret(TestSettings.SECRET)), clock));
        hub = new SignalingHub(settings.signaling(), rooms, new IceServersIssuer(new Secret(TestSettings.SECRET),
                Duration.ofHours(1), new TurnUris(List.of(), "", 3478)), clock, new SecureRandom(), access);
        gateway = new RealtimeGateway(settings.signaling(), hub, rooms, clock);
    }

    private String token(String sub, Duration validFor) {
        Instant now = clock.instant();
        return Jwts.hs256(KEY, Jwts.claims(sub, now, Map.of("exp", now.plus(validFor), "iat", now.minusSeconds(1))));
    }

    private String room(String creator, Room.Visibility visibility) {
        return ((CreateResult.Created) rooms.create(4, Duration.ofHours(2), clock.instant(), creator, visibility, 10))
                .room().code();
    }

    private static PhoenixMessage join(String topic, String token, boolean isPrivate) {
        var payload = Json.object();
        payload.putObject("config").put("private", isPrivate);
        if (token != null) {
            payload.put("access_token", token);
        }
        return new PhoenixMessage("1", "1", topic, "phx_join", payload);
    }

    private static String reason(PhoenixMessage reply) {
        return reply.payload().path("response").path("reason").asText();
    }

    @Test
    void joinsAreRefusedWithTheReasonsTheClientShows() {
        String open = room("owner", Room.Visibility.PUBLIC);
        String closed = room("owner", Room.Visibility.PRIVATE);
        RealtimeSocketTest.Sink sink = new RealtimeSocketTest.Sink(Vsn.V2);
        RealtimeSocket socket = gateway.open(sink, Vsn.V2, "h", null);

        socket.receive(join("realtime:room:" + open, null, false));
        assertThat(reason(sink.drain().get(0))).startsWith("Unauthorized: sign in first");
        socket.receive(join("realtime:room:" + open, "anon-key-0123456789abcdef", false));
        assertThat(reason(sink.drain().get(0))).startsWith("Unauthorized: sign in first");
        socket.receive(join("realtime:room:" + open, token("erin", Duration.ofSeconds(-10)), false));
        assertThat(reason(sink.drain().get(0))).isEqualTo("InvalidJWTToken: Token has expired");
        socket.receive(join("realtime:room:" + open, "eyJhbGciOiJIUzI1NiJ9.e30.AAAA", false));
        assertThat(reason(sink.drain().get(0))).startsWith("InvalidJWTToken: ");
        socket.receive(join("realtime:room:" + closed, token("stranger", Duration.ofMinutes(5)), true));
        assertThat(reason(sink.drain().get(0))).isEqualTo(
                "Unauthorized: You do not have permissions to read from this Channel topic: room:" + closed);
        assertThat(hub.connectionCount()).isZero();

        socket.receive(join("realtime:room:" + closed, token("owner", Duration.ofMinutes(5)), true));
        assertThat(sink.drain().get(0).payload().path("status").asText()).isEqualTo("ok");
    }

    @Test
    void aJoinedChannelEndsWhenItsTokenExpiresUnlessRefreshed() {
        String code = room("owner", Room.Visibility.PUBLIC);
        String topic = "realtime:room:" + code;
        RealtimeSocketTest.Sink a = new RealtimeSocketTest.Sink(Vsn.V2);
        RealtimeSocketTest.Sink b = new RealtimeSocketTest.Sink(Vsn.V2);
        RealtimeSocket sa = gateway.open(a, Vsn.V2, "h", null);
        RealtimeSocket sb = gateway.open(b, Vsn.V2, "h", null);
        sa.receive(join(topic, token("alice", Duration.ofMinutes(2)), false));
        sb.receive(join(topic, token("bob", Duration.ofMinutes(2)), false));
        sa.receive(new PhoenixMessage("1", "2", topic, "presence",
                Json.object().put("event", "track").set("payload", Json.object().put("n", 1))));
        a.drain();
        b.drain();

        // alice refreshes before expiry; bob does not
        clock.advance(Duration.ofMinutes(1));
        sa.receive(new PhoenixMessage("1", "3", topic, "access_token",
                Json.object().put("access_token", token("alice", Duration.ofMinutes(5)))));
        assertThat(a.drain().get(0).payload().path("status").asText()).isEqualTo("ok");
        clock.advance(Duration.ofMinutes(2));
        sb.receive(new PhoenixMessage(null, "9", "phoenix", "heartbeat", Json.object()));

        List<PhoenixMessage> toB = b.drain();
        assertThat(toB).extracting(PhoenixMessage::event).containsExactly("system", "phx_close", "phx_reply");
        assertThat(toB.get(0).payload().path("message").asText()).isEqualTo("InvalidJWTToken: Token has expired");
        assertThat(sb.channelCount()).isZero();
        // alice is still in: she gets bob's untracked leave? bob never tracked, so nothing shows; a broadcast works
        sa.receive(new PhoenixMessage("1", "4", topic, "broadcast", Json.object().put("event", "ping")));
        assertThat(hub.connectionCount()).isEqualTo(1);

        // a token of another user on alice's channel ends it
        sa.receive(new PhoenixMessage("1", "5", topic, "access_token",
                Json.object().put("access_token", token("mallory", Duration.ofMinutes(5)))));
        assertThat(a.drain()).extracting(PhoenixMessage::event).contains("phx_reply", "system", "phx_close");
        assertThat(sa.channelCount()).isZero();
        assertThat(hub.connectionCount()).isZero();
    }

    @Test
    void freshTurnCredentialsArePushedAsABroadcastBeforeExpiry() {
        String topic = "realtime:room:" + room("owner", Room.Visibility.PUBLIC);
        RealtimeSocketTest.Sink a = new RealtimeSocketTest.Sink(Vsn.V2);
        RealtimeSocket sa = gateway.open(a, Vsn.V2, "h", null);
        sa.receive(join(topic, token("alice", Duration.ofHours(2)), false));
        PhoenixMessage first = a.drain().stream().filter(m -> m.event().equals("broadcast")).findFirst().orElseThrow();
        assertThat(first.payload().path("event").asText()).isEqualTo("turn-credentials");

        clock.advance(Duration.ofMinutes(46)); // a quarter of the 1 h lifetime left
        hub.sweep();

        PhoenixMessage pushed = a.drain().get(0);
        assertThat(pushed.payload().path("event").asText()).isEqualTo("turn-credentials");
        assertThat(pushed.payload().path("payload").path("iceServers").isArray()).isTrue();
        assertThat(pushed.payload().path("payload").path("expiresAt").asText())
                .isNotEqualTo(first.payload().path("payload").path("expiresAt").asText());
    }

    @Test
    void iceServersEndpointNeedsAMembersJwt() {
        String code = room("owner", Room.Visibility.PUBLIC);
        RealtimeSocketTest.Sink a = new RealtimeSocketTest.Sink(Vsn.V2);
        RealtimeSocket sa = gateway.open(a, Vsn.V2, "h", null);
        String alice = token("alice", Duration.ofMinutes(5));
        var aliceAuth = gateway.access().authenticate(alice).join();

        assertThat(gateway.iceServers("anon-key-0123456789abcdef", aliceAuth, "room:" + code, "h").status())
                .isEqualTo(403);
        sa.receive(join("realtime:room:" + code, alice, false));
        RestAnswer ok = gateway.iceServers("anon-key-0123456789abcdef", aliceAuth, "room:" + code, "h");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body().path("iceServers").isArray()).isTrue();
        assertThat(gateway.iceServers("wrong", aliceAuth, "room:" + code, "h")).isEqualTo(RestAnswer.INVALID_API_KEY);
        assertThat(gateway.iceServers("anon-key-0123456789abcdef", null, "room:" + code, "h").status()).isEqualTo(401);
        assertThat(gateway.iceServers("anon-key-0123456789abcdef", aliceAuth, "room:NOSUCHRM", "h").status())
                .isEqualTo(404);
    }
}
