package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.Room;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SignalingHubTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.room-capacity-max=3");
    private InMemoryRoomRegistry rooms;
    private SignalingHub hub;
    private String code;

    @BeforeEach
    void setUp() {
        rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                new TurnUris(List.of(), "", 3478));
        hub = new SignalingHub(settings.signaling(), rooms, issuer, clock, new SecureRandom());
        code = rooms.create(2, Duration.ofHours(2), clock.instant()).orElseThrow().code();
    }

    private void send(Connection c, String json) {
        Decoded decoded = MessageDecoder.decode(json);
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        hub.handle(c, ((Decoded.Ok) decoded).message());
    }

    private Connection connect(RecordingLink link) {
        return hub.open(link, "127.0.0.1:8080");
    }

    /** Joins and returns the joined message; the link is drained. */
    private JsonNode join(Connection c, RecordingLink link, String name) {
        send(c, "{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code.toLowerCase() + "\",\"meta\":{\"name\":\"" + name + "\"}}");
        List<JsonNode> got = link.drain();
        assertThat(got).extracting(m -> m.get("type").asText()).containsExactly("joined", "presence_state");
        return got.get(0);
    }

    @Test
    void joinedCarriesPeerIdTokenPresenceAndIceServers() {
        RecordingLink a = new RecordingLink();
        JsonNode joined = join(connect(a), a, "Ann");

        String peerId = joined.get("peerId").asText();
        assertThat(joined.get("ref").asText()).isEqualTo("j");
        assertThat(joined.get("v").asInt()).isEqualTo(1);
        assertThat(joined.get("room").asText()).isEqualTo(code);
        assertThat(joined.get("resumed").asBoolean()).isFalse();
        assertThat(joined.get("token").asText()).startsWith(peerId + ".");
        assertThat(joined.get("presence").get(peerId).get("name").asText()).isEqualTo("Ann");
        assertThat(joined.get("heartbeatInterval").asLong()).isEqualTo(25_000);
        JsonNode ice = joined.get("iceServers");
        assertThat(ice.get(0).get("urls").get(0).asText()).isEqualTo("stun:127.0.0.1:3478");
        assertThat(ice.get(1).get("urls").get(0).asText()).isEqualTo("turn:127.0.0.1:3478?transport=udp");
        String username = ice.get(1).get("username").asText();
        long expiry = clock.instant().plus(Duration.ofHours(1)).getEpochSecond();
        assertThat(username).isEqualTo(expiry + ":" + code + ":" + peerId);
        assertThat(ice.get(1).get("credential").asText())
                .isEqualTo(RestCredentials.password(new Secret(TestSettings.SECRET), username));
        assertThat(joined.get("ttl").asLong()).isEqualTo(3600);
    }

    @Test
    void presenceStateOnJoinAndDiffsOnJoinAndLeave() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        Connection cb = connect(b);
        String aId = join(ca, a, "Ann").get("peerId").asText();
        JsonNode bJoined = join(cb, b, "Bob");
        String bId = bJoined.get("peerId").asText();

        assertThat(bJoined.get("presence").fieldNames()).toIterable().containsExactlyInAnyOrder(aId, bId);
        JsonNode diff = a.drain().get(0);
        assertThat(diff.get("type").asText()).isEqualTo("presence_diff");
        assertThat(diff.get("joins").get(bId).get("name").asText()).isEqualTo("Bob");
        assertThat(diff.get("leaves").size()).isZero();

        send(cb, "{\"type\":\"leave\",\"ref\":7}");
        assertThat(b.drain()).singleElement().satisfies(m -> {
            assertThat(m.get("type").asText()).isEqualTo("left");
            assertThat(m.get("ref").asInt()).isEqualTo(7);
        });
        JsonNode leave = a.drain().get(0);
        assertThat(leave.get("type").asText()).isEqualTo("presence_diff");
        assertThat(leave.get("leaves").get(bId).get("name").asText()).isEqualTo("Bob");
        assertThat(rooms.find(code).orElseThrow().members()).hasSize(1);
    }

    @Test
    void signalGoesToOthersOrToOnePeerWithSelfAndAckOnRequest() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        Connection cb = connect(b);
        send(ca, "{\"type\":\"join\",\"room\":\"" + code + "\",\"config\":{\"self\":true,\"ack\":true}}");
        String aId = a.drain().get(0).get("peerId").asText();
        String bId = join(cb, b, "Bob").get("peerId").asText();
        a.drain();

        send(ca, "{\"type\":\"signal\",\"ref\":\"s1\",\"payload\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
        assertThat(b.drain()).singleElement().satisfies(m -> {
            assertThat(m.get("type").asText()).isEqualTo("signal");
            assertThat(m.get("from").asText()).isEqualTo(aId);
            assertThat(m.get("payload").get("sdp").asText()).isEqualTo("v=0");
        });
        assertThat(a.drain()).extracting(m -> m.get("type").asText()).containsExactly("signal", "ack");

        send(cb, "{\"type\":\"signal\",\"ref\":\"s2\",\"to\":\"" + aId + "\",\"payload\":[1,2]}");
        assertThat(a.drain()).singleElement().satisfies(m -> {
            assertThat(m.get("to").asText()).isEqualTo(aId);
            assertThat(m.get("from").asText()).isEqualTo(bId);
        });
        assertThat(b.drain()).as("no self, no ack by default").isEmpty();
    }

    @Test
    void signalErrors() {
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        send(ca, "{\"type\":\"signal\",\"ref\":1,\"payload\":{}}");
        assertError(a, ErrorCode.BAD_MESSAGE, "join a room first");

        join(ca, a, "Ann");
        send(ca, "{\"type\":\"signal\",\"ref\":2,\"to\":\"nobody\",\"payload\":{}}");
        assertError(a, ErrorCode.BAD_MESSAGE, "no such peer in the room");

        send(ca, "{\"type\":\"join\",\"ref\":3,\"room\":\"" + code + "\"}");
        assertError(a, ErrorCode.BAD_MESSAGE, "already in a room; leave first");

        send(ca, "{\"type\":\"leave\"}");
        assertThat(a.drain()).extracting(m -> m.get("type").asText()).containsExactly("left");
        send(ca, "{\"type\":\"leave\",\"ref\":4}");
        assertError(a, ErrorCode.BAD_MESSAGE, "not in a room");
    }

    @Test
    void joinErrors() {
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        send(ca, "{\"type\":\"join\",\"ref\":1,\"room\":\"ZZZZZZZZ\"}");
        assertError(a, ErrorCode.ROOM_NOT_FOUND, "no such room");
        send(ca, "{\"type\":\"join\",\"ref\":1,\"room\":\"not-a-code\"}");
        assertError(a, ErrorCode.ROOM_NOT_FOUND, "no such room");

        RecordingLink first = new RecordingLink();
        join(connect(first), first, "x");
        RecordingLink second = new RecordingLink();
        join(connect(second), second, "y");
        send(ca, "{\"type\":\"join\",\"ref\":1,\"room\":\"" + code + "\"}");
        assertError(a, ErrorCode.ROOM_FULL, "the room is full");

        String other = rooms.create(2, Duration.ofMinutes(1), clock.instant()).orElseThrow().code();
        clock.advance(Duration.ofMinutes(1));
        send(ca, "{\"type\":\"join\",\"ref\":1,\"room\":\"" + other + "\"}");
        assertError(a, ErrorCode.ROOM_EXPIRED, "the room has expired");
    }

    @Test
    void expiredRoomsAreRemovedAndTheirMembersTold() {
        String shortRoom = rooms.create(2, Duration.ofMinutes(5), clock.instant()).orElseThrow().code();
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        send(ca, "{\"type\":\"join\",\"room\":\"" + shortRoom + "\"}");
        a.drain();

        clock.advance(Duration.ofMinutes(5));
        hub.sweep();

        assertError(a, ErrorCode.ROOM_EXPIRED, "the room has expired");
        assertThat(rooms.find(shortRoom)).isEmpty();
        assertThat(hub.peerCount()).isZero();
        send(ca, "{\"type\":\"signal\",\"ref\":1,\"payload\":{}}");
        assertError(a, ErrorCode.BAD_MESSAGE, "join a room first");
    }

    @Test
    void droppedPeerResumesWithinGraceWithoutPresenceChangesAndGetsBufferedSignals() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        Connection cb = connect(b);
        JsonNode aJoined = join(ca, a, "Ann");
        join(cb, b, "Bob");
        a.drain();

        hub.closed(ca, false);
        send(cb, "{\"type\":\"signal\",\"payload\":{\"n\":1}}");
        clock.advance(Duration.ofSeconds(29));
        hub.sweep();
        assertThat(b.drain()).as("no leave during the grace").isEmpty();

        RecordingLink a2 = new RecordingLink();
        Connection ca2 = connect(a2);
        send(ca2, "{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + aJoined.get("token").asText() + "\"}");

        List<JsonNode> got = a2.drain();
        assertThat(got).extracting(m -> m.get("type").asText()).containsExactly("joined", "presence_state", "signal");
        assertThat(got.get(0).get("resumed").asBoolean()).isTrue();
        assertThat(got.get(0).get("ref").asText()).isEqualTo("r");
        assertThat(got.get(0).get("peerId").asText()).isEqualTo(aJoined.get("peerId").asText());
        assertThat(got.get(2).get("payload").get("n").asInt()).isEqualTo(1);
        assertThat(b.drain()).as("no join either").isEmpty();
        clock.advance(Duration.ofMinutes(5));
        hub.sweep();
        assertThat(b.drain()).isEmpty();
    }

    @Test
    void peerThatDoesNotResumeLeavesAfterTheGrace() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        Connection cb = connect(b);
        JsonNode aJoined = join(ca, a, "Ann");
        join(cb, b, "Bob");

        hub.closed(ca, false);
        clock.advance(Duration.ofSeconds(30));
        hub.sweep();

        JsonNode diff = b.drain().get(0);
        assertThat(diff.get("leaves").has(aJoined.get("peerId").asText())).isTrue();
        RecordingLink late = new RecordingLink();
        send(connect(late), "{\"type\":\"resume\",\"ref\":1,\"token\":\"" + aJoined.get("token").asText() + "\"}");
        assertError(late, ErrorCode.UNAUTHORIZED, "unknown or expired resume token");
    }

    @Test
    void cleanCloseIsAnImmediateLeave() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        Connection cb = connect(b);
        String aId = join(ca, a, "Ann").get("peerId").asText();
        join(cb, b, "Bob");

        hub.closed(ca, true);

        assertThat(b.drain()).singleElement().satisfies(m -> assertThat(m.get("leaves").has(aId)).isTrue());
    }

    @Test
    void resumeTakesOverALiveConnectionWithoutLeave() {
        RecordingLink a = new RecordingLink();
        RecordingLink b = new RecordingLink();
        Connection ca = connect(a);
        JsonNode aJoined = join(ca, a, "Ann");
        join(connect(b), b, "Bob");

        RecordingLink a2 = new RecordingLink();
        send(connect(a2), "{\"type\":\"resume\",\"token\":\"" + aJoined.get("token").asText() + "\"}");
        hub.closed(ca, true);

        assertThat(a.closeCode).isEqualTo(CloseCodes.REPLACED);
        assertThat(a2.types()).containsExactly("joined", "presence_state");
        assertThat(b.drain()).isEmpty();
    }

    @Test
    void resumeWithAForgedTokenIsUnauthorized() {
        RecordingLink a = new RecordingLink();
        String token = join(connect(a), a, "Ann").get("token").asText();
        String forged = token.substring(0, token.length() - 2) + (token.endsWith("AA") ? "BB" : "AA");

        for (String bad : List.of(forged, "garbage", token.substring(0, token.indexOf('.') + 1), ".x")) {
            RecordingLink c = new RecordingLink();
            send(connect(c), "{\"type\":\"resume\",\"ref\":1,\"token\":\"" + bad + "\"}");
            assertError(c, ErrorCode.UNAUTHORIZED, "unknown or expired resume token");
        }
    }

    @Test
    void leftPeersTokenStopsWorking() {
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        String token = join(ca, a, "Ann").get("token").asText();
        send(ca, "{\"type\":\"leave\"}");

        assertThat(hub.iceServers(code, token, null).error()).isEqualTo(ErrorCode.UNAUTHORIZED);
    }

    @Test
    void freshCredentialsArePushedBeforeExpiry() {
        RecordingLink a = new RecordingLink();
        JsonNode joined = join(connect(a), a, "Ann");

        clock.advance(Duration.ofMinutes(44));
        hub.sweep();
        assertThat(a.drain()).isEmpty();
        clock.advance(Duration.ofMinutes(1));
        hub.sweep();

        JsonNode push = a.drain().get(0);
        assertThat(push.get("type").asText()).isEqualTo("credentials");
        assertThat(push.get("iceServers").get(1).get("username").asText())
                .isNotEqualTo(joined.get("iceServers").get(1).get("username").asText());
        assertThat(Instant.parse(push.get("expiresAt").asText())).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        hub.sweep();
        assertThat(a.drain()).as("once per period").isEmpty();
    }

    @Test
    void connectionOutsideAnyRoomIsClosedAfterTheIdleTimeout() {
        RecordingLink idle = new RecordingLink();
        RecordingLink member = new RecordingLink();
        connect(idle);
        join(connect(member), member, "Ann");

        clock.advance(Duration.ofSeconds(59));
        hub.sweep();
        assertThat(idle.closeCode).isEqualTo(-1);
        clock.advance(Duration.ofSeconds(1));
        hub.sweep();

        assertThat(idle.closeCode).isEqualTo(CloseCodes.IDLE);
        assertThat(member.closeCode).isEqualTo(-1);
    }

    @Test
    void aConnectionWhoseMemberLeftOrWasRemovedFallsUnderTheIdleTimeoutAgain() {
        RecordingLink leaving = new RecordingLink();
        RecordingLink kicked = new RecordingLink();
        Connection cl = connect(leaving);
        join(cl, leaving, "Ann");
        String kickedId = join(connect(kicked), kicked, "Bob").get("peerId").asText();

        clock.advance(Duration.ofMinutes(5)); // members are never idle
        hub.sweep();
        assertThat(leaving.closeCode).isEqualTo(-1);
        send(cl, "{\"type\":\"leave\",\"ref\":\"l\"}");
        assertThat(hub.kick(code, kickedId)).isTrue();

        clock.advance(Duration.ofSeconds(59));
        hub.sweep();
        assertThat(leaving.closeCode).isEqualTo(-1);
        assertThat(kicked.closeCode).isEqualTo(-1);
        clock.advance(Duration.ofSeconds(1));
        hub.sweep();
        assertThat(leaving.closeCode).isEqualTo(CloseCodes.IDLE);
        assertThat(kicked.closeCode).isEqualTo(CloseCodes.IDLE);
    }

    @Test
    void heartbeatIsAnswered() {
        RecordingLink a = new RecordingLink();
        send(connect(a), "{\"type\":\"heartbeat\",\"ref\":42}");

        assertThat(a.drain()).singleElement().satisfies(m -> {
            assertThat(m.get("type").asText()).isEqualTo("heartbeat");
            assertThat(m.get("ref").asInt()).isEqualTo(42);
        });
    }

    @Test
    void iceServersNeedAMembersTokenForThatRoom() {
        RecordingLink a = new RecordingLink();
        String token = join(connect(a), a, "Ann").get("token").asText();
        Room other = rooms.create(2, Duration.ofHours(1), clock.instant()).orElseThrow();

        Outcome<IceServers> ok = hub.iceServers(code, token, "[::1]:8080");
        assertThat(ok.value().turnUris()).containsExactly("turn:[::1]:3478?transport=udp");
        assertThat(hub.iceServers(other.code(), token, null).error()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(hub.iceServers(code, null, null).error()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(hub.iceServers("ZZZZZZZZ", token, null).error()).isEqualTo(ErrorCode.ROOM_NOT_FOUND);
    }

    @Test
    void shutdownClosesEveryConnectionAsGoingAway() {
        RecordingLink a = new RecordingLink();
        join(connect(a), a, "Ann");

        hub.shutdown();

        assertThat(a.closeCode).isEqualTo(CloseCodes.GOING_AWAY);
    }

    @Test
    void operatorClosesARoomLikeAnExpiry() {
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        join(ca, a, "Ann");

        assertThat(hub.closeRoom(code.toLowerCase()).toCompletableFuture().join()).isTrue();

        assertError(a, ErrorCode.ROOM_EXPIRED, "the room was closed by the operator");
        assertThat(rooms.find(code)).isEmpty();
        assertThat(hub.peerCount()).isZero();
        assertThat(hub.closeRoom(code).toCompletableFuture().join()).isFalse();
        assertThat(hub.closeRoom("not a code").toCompletableFuture().join()).isFalse();
    }

    @Test
    void drainTellsEveryClientToReconnectAndTurnsNewOnesAway() {
        RecordingLink a = new RecordingLink();
        join(connect(a), a, "Ann");
        RecordingLink idle = new RecordingLink();
        connect(idle);

        hub.drain();

        assertThat(a.closeCode).isEqualTo(CloseCodes.DRAINING);
        assertThat(idle.closeCode).isEqualTo(CloseCodes.DRAINING);
        RecordingLink late = new RecordingLink();
        Connection cl = connect(late);
        assertThat(late.closeCode).isEqualTo(CloseCodes.DRAINING);
        send(cl, "{\"type\":\"join\",\"room\":\"" + code + "\"}");
        assertThat(late.sent).isEmpty();
    }

    @Test
    void statsCountMessagesJoinsErrorsAndFanout() {
        List<Long> fanouts = new java.util.ArrayList<>();
        hub.stats().observeFanout(fanouts::add);
        RecordingLink a = new RecordingLink();
        Connection ca = connect(a);
        RecordingLink b = new RecordingLink();
        Connection cb = connect(b);
        join(ca, a, "Ann");
        join(cb, b, "Bob");
        send(ca, "{\"type\":\"signal\",\"payload\":{\"sdp\":\"x\"}}");
        send(cb, "{\"type\":\"join\",\"room\":\"" + code + "\"}");
        send(ca, "{\"type\":\"heartbeat\"}");

        SignalingStats stats = hub.stats();
        assertThat(stats.connectionsOpened.sum()).isEqualTo(2);
        assertThat(hub.connectionCount()).isEqualTo(2);
        assertThat(stats.messages(SignalingStats.MESSAGE_TYPES.indexOf("join"))).isEqualTo(3);
        assertThat(stats.messages(SignalingStats.MESSAGE_TYPES.indexOf("signal"))).isEqualTo(1);
        assertThat(stats.messages(SignalingStats.MESSAGE_TYPES.indexOf("heartbeat"))).isEqualTo(1);
        assertThat(stats.joins(SignalingStats.JOIN_RESULTS.indexOf("joined"))).isEqualTo(2);
        assertThat(stats.joins(SignalingStats.JOIN_RESULTS.indexOf("refused"))).isEqualTo(1);
        assertThat(stats.errors(ErrorCode.BAD_MESSAGE)).isEqualTo(1);
        assertThat(fanouts).singleElement().satisfies(n -> assertThat(n).isNotNegative());
    }

    private static void assertError(RecordingLink link, ErrorCode code, String message) {
        assertThat(link.drain()).singleElement().satisfies(m -> {
            assertThat(m.get("type").asText()).isEqualTo("error");
            assertThat(m.get("code").asText()).isEqualTo(code.wire());
            assertThat(m.get("message").asText()).isEqualTo(message);
            assertThat(m.has("ref")).isTrue();
        });
    }
}
