package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the hub tells the relay (through {@link MembershipListener}) and lets it ask: every way a member's or a
 * room's access ends is reported exactly once, a dropped connection only after the resume grace; an operator
 * can remove one member; a room's signaling addresses are those of its live connections.
 */
class MembershipEventsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.room-capacity-max=4");
    private final List<String> events = new ArrayList<>();
    private InMemoryRoomRegistry rooms;
    private SignalingHub hub;
    private String code;

    @BeforeEach
    void setUp() {
        rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                new TurnUris(List.of(), "", 3478));
        hub = new SignalingHub(settings.signaling(), rooms, issuer, clock, new SecureRandom(), new MembershipListener() {
            @Override
            public void roomEnded(String room) {
                events.add("room " + room);
            }

            @Override
            public void memberLeft(String room, String peerId) {
                events.add("member " + room + ":" + peerId);
            }
        });
        code = rooms.create(4, Duration.ofHours(2), clock.instant()).orElseThrow().code();
    }

    private record Joined(Connection connection, RecordingLink link, String peerId) {
    }

    private Joined join(String address) throws Exception {
        RecordingLink link = new RecordingLink();
        Connection c = hub.open(link, "127.0.0.1:8080", null, InetAddress.getByName(address));
        Decoded decoded = MessageDecoder.decode("{\"type\":\"join\",\"room\":\"" + code + "\"}");
        hub.handle(c, ((Decoded.Ok) decoded).message());
        JsonNode joined = link.drain().get(0);
        return new Joined(c, link, joined.get("peerId").asText());
    }

    @Test
    void everyEndOfAccessIsReportedOnce() throws Exception {
        Joined ann = join("192.0.2.1");
        Joined ben = join("192.0.2.2");
        Joined cy = join("192.0.2.3");
        Joined dee = join("192.0.2.4");
        assertThat(hub.memberAddresses(code)).containsExactlyInAnyOrder(InetAddress.getByName("192.0.2.1"),
                InetAddress.getByName("192.0.2.2"), InetAddress.getByName("192.0.2.3"),
                InetAddress.getByName("192.0.2.4"));

        hub.handle(ann.connection(), ((Decoded.Ok) MessageDecoder.decode("{\"type\":\"leave\"}")).message());
        assertThat(events).containsExactly("member " + code + ":" + ann.peerId());

        hub.closed(ben.connection(), false); // dropped: may resume within the grace
        hub.sweep();
        assertThat(events).hasSize(1);
        assertThat(hub.memberAddresses(code)).doesNotContain(InetAddress.getByName("192.0.2.2"));
        clock.advance(settings.signaling().resumeGrace());
        hub.sweep();
        assertThat(events).last().isEqualTo("member " + code + ":" + ben.peerId());

        assertThat(hub.kick(code, "nobody")).isFalse();
        assertThat(hub.kick("ZZZZZZZZ", cy.peerId())).isFalse();
        assertThat(hub.kick(code.toLowerCase(), cy.peerId())).isTrue();
        assertThat(cy.link().drain()).last()
                .satisfies(m -> assertThat(m.get("code").asText()).isEqualTo("kicked"));
        assertThat(events).last().isEqualTo("member " + code + ":" + cy.peerId());
        assertThat(dee.link().drain()).extracting(m -> m.get("type").asText()).contains("presence_diff");
        assertThat(rooms.find(code).orElseThrow().members()).hasSize(1);

        assertThat(hub.closeRoom(code).toCompletableFuture().join()).isTrue();
        assertThat(events).last().isEqualTo("room " + code);
        assertThat(events).hasSize(4);
    }

    @Test
    void anExpiredRoomIsReported() throws Exception {
        join("192.0.2.1");
        clock.advance(Duration.ofHours(2));
        hub.sweep();
        assertThat(events).containsExactly("room " + code);
    }
}
