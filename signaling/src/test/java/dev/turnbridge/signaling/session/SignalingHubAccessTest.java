package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.access.JoinTokens;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.Room;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The hub's access checks off the network: who may join, with which identity, until when. */
class SignalingHubAccessTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.access=api-key",
            "signaling.api-key=backend-api-key-0123456789");
    private final InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
    private final SignalingHub hub = new SignalingHub(settings.signaling(), rooms,
            new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1), new TurnUris(List.of(), "", 3478)),
            clock, new SecureRandom(), new AccessControl(AccessMode.API_KEY, settings.signaling().apiKey(), null,
                    new JoinTokens(settings.auth().secrets(), clock)));
    private final String code = ((CreateResult.Created) rooms.create(4, Duration.ofHours(1), clock.instant(), "alice",
            Room.Visibility.PRIVATE, 10)).room().code();

    private JsonNode join(Identity identity, String meta) {
        RecordingLink link = new RecordingLink();
        Connection c = hub.open(link, "127.0.0.1:8080", identity);
        Decoded decoded = MessageDecoder.decode("{\"type\":\"join\",\"room\":\"" + code + "\",\"meta\":" + meta + "}");
        hub.handle(c, ((Decoded.Ok) decoded).message());
        return link.drain().get(0);
    }

    private static Identity user(String sub, Instant validUntil, String... rooms) {
        return new Identity(sub, Set.of(rooms), false, validUntil, null, null);
    }

    @Test
    void withoutAVerifiedIdentityNobodyJoinsOutsideOpenMode() {
        JsonNode refused = join(null, "{}");
        assertThat(refused.get("code").asText()).isEqualTo("unauthorized");
        assertThat(refused.get("message").asText()).isEqualTo("a bearer token is required");
    }

    @Test
    void privateRoomsAdmitTheCreatorTokensNamingThemAndTheBackend() {
        Instant later = clock.instant().plusSeconds(600);
        assertThat(join(user("bob", later), "{}").get("code").asText()).isEqualTo("forbidden");
        assertThat(join(user("bob", later, "ZZZZZZZZ"), "{}").get("code").asText()).isEqualTo("forbidden");
        assertThat(join(user("alice", later), "{}").get("type").asText()).isEqualTo("joined");
        JsonNode bob = join(user("bob", later, code), "{\"user_id\":\"alice\"}");
        assertThat(bob.get("presence").get(bob.get("peerId").asText()).get("user_id").asText()).isEqualTo("bob");
        JsonNode backend = join(Identity.apiKeyHolder(), "{\"user_id\":\"alice\"}");
        assertThat(backend.get("presence").get(backend.get("peerId").asText()).has("user_id")).isFalse();
        assertThat(hub.userId(code, bob.get("peerId").asText())).contains("bob");
        assertThat(hub.userId("ZZZZZZZZ", bob.get("peerId").asText())).isEmpty();
    }

    @Test
    void anIdentityIsGoodUntilItsTokenExpiresPlusSkew() {
        Instant until = clock.instant().plusSeconds(60);
        assertThat(join(user("alice", until), "{}").get("type").asText()).isEqualTo("joined");
        clock.advance(Duration.ofSeconds(60));
        JsonNode late = join(user("alice", until), "{}");
        assertThat(late.get("code").asText()).isEqualTo("unauthorized");
        assertThat(late.get("message").asText()).contains("expired");
    }
}
