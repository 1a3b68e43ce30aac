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
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once delivery across drops (sequence numbers, acknowledgements, replay on resume), the seat taken
 * over by a join with the member's token, the outbox bound, and call reports: the hub alone, no sockets.
 */
class SignalingDeliveryTest {

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
        assertThat(decoded).as(json).isInstanceOf(Decoded.Ok.class);
        hub.handle(c, ((Decoded.Ok) decoded).message());
    }

    private record Member(RecordingLink link, Connection connection, JsonNode joined) {
        String id() {
            return joined.get("peerId").asText();
        }

        String token() {
            return joined.get("token").asText();
        }
    }

    private Member join(String name, boolean seq) {
        RecordingLink link = new RecordingLink();
        Connection c = hub.open(link, "127.0.0.1:8080");
        send(c, "{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code + "\",\"meta\":{\"name\":\"" + name
                + "\"},\"config\":{\"ack\":true,\"seq\":" + seq + "}}");
        List<JsonNode> got = link.drain();
        assertThat(got).extracting(m -> m.get("type").asText()).containsExactly("joined", "presence_state");
        return new Member(link, c, got.get(0));
    }

    private static List<Integer> payloads(List<JsonNode> messages) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode m : messages) {
            if (m.path("type").asText().equals("signal")) {
                out.add(m.get("payload").get("n").asInt());
            }
        }
        return out;
    }

    @Test
    void messagesToASequencedPeerAreNumberedAndOnlyAcknowledgedOnesAreForgotten() {
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        List<JsonNode> diff = a.link().drain();
        assertThat(diff).singleElement().satisfies(m -> {
            assertThat(m.get("type").asText()).isEqualTo("presence_diff");
            assertThat(m.get("seq").asLong()).isEqualTo(1);
        });
        for (int n = 1; n <= 3; n++) {
            send(b.connection(), "{\"type\":\"signal\",\"ref\":" + n + ",\"seq\":" + n + ",\"payload\":{\"n\":" + n
                    + "}}");
        }
        List<JsonNode> got = a.link().drain();
        assertThat(got).extracting(m -> m.get("seq").asLong()).containsExactly(2L, 3L, 4L);
        assertThat(b.link().drain()).extracting(m -> m.get("type").asText() + "/" + m.get("received").asLong())
                .containsExactly("ack/1", "ack/2", "ack/3");

        send(a.connection(), "{\"type\":\"ack\",\"seq\":3}");
        hub.closed(a.connection(), false);
        RecordingLink a2 = new RecordingLink();
        send(hub.open(a2, "h"), "{\"type\":\"resume\",\"token\":\"" + a.token() + "\",\"seq\":3}");
        List<JsonNode> resumed = a2.drain();
        assertThat(resumed).extracting(m -> m.get("type").asText())
                .containsExactly("joined", "signal", "presence_state");
        assertThat(resumed.get(0).get("replay").asInt()).isEqualTo(1);
        assertThat(resumed.get(1).get("seq").asLong()).isEqualTo(4);
        assertThat(payloads(resumed)).containsExactly(3);
    }

    /**
     * The defect of issue 10 (5): signals written to a socket that froze half-open were lost, because
     * buffering began only once the server noticed the drop. Now they stay in the outbox until acknowledged,
     * and the resume on a new socket replays exactly them.
     */
    @Test
    void signalsWrittenToAFrozenSocketAreReplayedOnResumeNoneLostNoneDuplicated() {
        Member a = join("Ann", true);
        Member b = join("Bob", false);
        a.link().drain();
        int lastSeen = 0;
        for (int n = 1; n <= 100; n++) {
            send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":" + n + "}}");
        }
        List<JsonNode> before = a.link().drain();
        // the client saw the first 40 and acknowledged 30 of them; the rest went into a dead socket
        List<JsonNode> seen = before.subList(0, 40);
        lastSeen = seen.get(39).get("seq").intValue();
        send(a.connection(), "{\"type\":\"ack\",\"seq\":" + seen.get(29).get("seq").asLong() + "}");
        for (int n = 101; n <= 150; n++) {
            send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":" + n + "}}");
        }
        a.link().drain(); // also lost

        RecordingLink a2 = new RecordingLink();
        send(hub.open(a2, "h"), "{\"type\":\"resume\",\"token\":\"" + a.token() + "\",\"seq\":" + lastSeen + "}");
        assertThat(a.link().closeCode).isEqualTo(CloseCodes.REPLACED);
        List<Integer> all = new ArrayList<>(payloads(seen));
        all.addAll(payloads(a2.drain()));
        List<Integer> expected = new ArrayList<>();
        for (int n = 1; n <= 150; n++) {
            expected.add(n);
        }
        assertThat(all).containsExactlyElementsOf(expected);
        assertThat(b.link().drain()).as("no presence change for Bob").isEmpty();
    }

    @Test
    void aSignalResentAfterAResumeIsDeliveredOnceAndAcknowledgedAgain() {
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        a.link().drain();
        send(a.connection(), "{\"type\":\"signal\",\"ref\":\"s1\",\"seq\":1,\"payload\":{\"n\":1}}");
        send(a.connection(), "{\"type\":\"signal\",\"ref\":\"s2\",\"seq\":2,\"payload\":{\"n\":2}}");
        hub.closed(a.connection(), false); // Ann never saw the acks
        RecordingLink a2 = new RecordingLink();
        Connection c2 = hub.open(a2, "h");
        send(c2, "{\"type\":\"resume\",\"token\":\"" + a.token() + "\",\"seq\":0}");
        assertThat(a2.drain().get(0).get("received").asLong()).as("joined tells what arrived").isEqualTo(2);
        send(c2, "{\"type\":\"signal\",\"ref\":\"s2\",\"seq\":2,\"payload\":{\"n\":2}}");
        send(c2, "{\"type\":\"signal\",\"ref\":\"s3\",\"seq\":3,\"payload\":{\"n\":3}}");
        assertThat(a2.drain()).extracting(m -> m.get("ref").asText() + "/" + m.get("received").asLong())
                .containsExactly("s2/2", "s3/3");
        assertThat(payloads(b.link().drain())).containsExactly(1, 2, 3);
        assertThat(hub.stats().duplicates.sum()).isEqualTo(1);
    }

    @Test
    void anAckOfSomethingNeverSentIsABadMessage() {
        Member a = join("Ann", true);
        send(a.connection(), "{\"type\":\"ack\",\"ref\":5,\"seq\":99}");
        assertThat(a.link().drain()).singleElement().satisfies(m -> {
            assertThat(m.get("code").asText()).isEqualTo("bad_message");
            assertThat(m.get("ref").asInt()).isEqualTo(5);
        });
    }

    @Test
    void aPeerThatNeverAcknowledgesIsRemovedAtTheOutboxBoundNotSilentlyTrimmed() {
        Member a = join("Ann", true);
        Member b = join("Bob", false);
        a.link().drain();
        for (int n = 1; n < Outbox.MAX_MESSAGES; n++) {
            send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":" + n + "}}");
        }
        assertThat(a.link().closeCode).isEqualTo(-1);
        send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":0}}");
        assertThat(a.link().closeCode).isEqualTo(CloseCodes.BEHIND);
        assertThat(hub.peerCount()).isEqualTo(1);
        assertThat(b.link().drain()).extracting(m -> m.get("type").asText()).containsExactly("presence_diff");
        assertThat(hub.stats().outboxOverflows.sum()).isEqualTo(1);
        RecordingLink late = new RecordingLink();
        send(hub.open(late, "h"), "{\"type\":\"resume\",\"token\":\"" + a.token() + "\",\"seq\":1}");
        assertThat(late.drain().get(0).get("code").asText()).isEqualTo("unauthorized");
    }

    @Test
    void theOutboxIsAlsoBoundedInCharacters() {
        Member a = join("Ann", true);
        Member b = join("Bob", false);
        a.link().drain();
        String big = "x".repeat(60_000);
        int sent = 0;
        while (a.link().closeCode == -1 && sent < 100) {
            send(b.connection(), "{\"type\":\"signal\",\"payload\":\"" + big + "\"}");
            sent++;
        }
        assertThat(a.link().closeCode).isEqualTo(CloseCodes.BEHIND);
        assertThat((long) sent * 60_000).isGreaterThan(Outbox.MAX_CHARS).isLessThan(Outbox.MAX_CHARS + 2 * 60_000);
    }

    /**
     * The defect of issue 10 (6): after an unclean drop the seat stayed taken for the grace, and the same person
     * reopening the link got room_full. A join with the member's token now takes the seat over at once.
     */
    @Test
    void aJoinWithTheTokenOfAFrozenMemberTakesTheSeatOverWithoutPresenceFlap() {
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        a.link().drain();
        send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":1}}");
        // Ann's page reloads while her old socket is frozen (the server still thinks it is up); room is full
        RecordingLink a2 = new RecordingLink();
        Connection c2 = hub.open(a2, "h");
        send(c2, "{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code + "\",\"token\":\"" + a.token()
                + "\",\"config\":{\"seq\":true}}");
        List<JsonNode> got = a2.drain();
        assertThat(got).extracting(m -> m.get("type").asText()).containsExactly("joined", "presence_state");
        assertThat(got.get(0).get("peerId").asText()).isEqualTo(a.id());
        assertThat(got.get(0).get("resumed").asBoolean()).isTrue();
        assertThat(got.get(1).get("state").has(b.id())).isTrue();
        assertThat(a.link().closeCode).isEqualTo(CloseCodes.REPLACED);
        assertThat(b.link().drain()).as("Bob sees no leave and no join").isEmpty();
        // and it works both ways afterwards, numbering from a fresh client
        send(c2, "{\"type\":\"signal\",\"seq\":1,\"payload\":{\"n\":2}}");
        assertThat(payloads(b.link().drain())).containsExactly(2);
        send(b.connection(), "{\"type\":\"signal\",\"payload\":{\"n\":3}}");
        assertThat(payloads(a2.drain())).containsExactly(3);
        assertThat(hub.peerCount()).isEqualTo(2);
    }

    @Test
    void aHiddenPageKeepsItsSeatForAReloadOnlyBriefly() {
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        a.link().drain();
        hub.closed(b.connection(), false, true); // Bob's page said "hidden" (4010)
        Duration reloadGrace = SignalingHub.reloadGrace(settings.signaling().resumeGrace());
        assertThat(reloadGrace).isEqualTo(Duration.ofSeconds(15));
        clock.advance(reloadGrace.minusSeconds(1));
        hub.sweep();
        assertThat(a.link().drain()).as("no leave while a reload may come").isEmpty();
        RecordingLink b2 = new RecordingLink();
        send(hub.open(b2, "h"), "{\"type\":\"join\",\"room\":\"" + code + "\",\"token\":\"" + b.token()
                + "\",\"config\":{\"seq\":true}}");
        assertThat(b2.drain().get(0).get("peerId").asText()).isEqualTo(b.id());
        assertThat(a.link().drain()).isEmpty();

        // a closed tab: the leave comes after the reload grace, not the 30 s resume grace
        hub.closed(hub.open(new RecordingLink(), "h"), true);
        Member c = b;
        RecordingLink l3 = new RecordingLink();
        Connection c3 = hub.open(l3, "h");
        send(c3, "{\"type\":\"join\",\"room\":\"" + code + "\",\"token\":\"" + c.token() + "\"}");
        hub.closed(c3, false, true);
        clock.advance(reloadGrace);
        hub.sweep();
        assertThat(a.link().drain()).singleElement().satisfies(m ->
                assertThat(m.get("leaves").has(b.id())).isTrue());
    }

    @Test
    void aTokenOfAnotherRoomOrAForgedOneIsAnOrdinaryJoin() {
        Member a = join("Ann", true);
        String other = rooms.create(2, Duration.ofHours(2), clock.instant()).orElseThrow().code();
        RecordingLink l = new RecordingLink();
        send(hub.open(l, "h"), "{\"type\":\"join\",\"room\":\"" + other + "\",\"token\":\"" + a.token() + "\"}");
        JsonNode joined = l.drain().get(0);
        assertThat(joined.get("peerId").asText()).isNotEqualTo(a.id());
        assertThat(joined.get("resumed").asBoolean()).isFalse();
        RecordingLink f = new RecordingLink();
        send(hub.open(f, "h"), "{\"type\":\"join\",\"room\":\"" + code + "\",\"token\":\"" + a.id() + ".AAAA\"}");
        JsonNode forged = f.drain().get(0);
        assertThat(forged.get("peerId").asText()).isNotEqualTo(a.id());
        assertThat(a.link().closeCode).isEqualTo(-1);
    }

    private String report(String call, String with, String outcome, String extra) {
        return "{\"type\":\"call_report\",\"ref\":\"r\",\"call\":\"" + call + "\",\"with\":\"" + with
                + "\",\"outcome\":\"" + outcome + "\"" + extra + "}";
    }

    @Test
    void aCallIsCountedOnceAlthoughBothSidesReportIt() {
        List<Long> connectMillis = new ArrayList<>();
        hub.stats().calls().observeConnect(connectMillis::add);
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        a.link().drain();
        String relayed = ",\"connectMs\":140,\"local\":\"relay\",\"remote\":\"relay\",\"relayProtocol\":\"tcp\"";
        send(a.connection(), report("abcd:wxyz", b.id(), "connected", relayed + ",\"iceRestart\":true"));
        send(b.connection(), report("abcd:wxyz", a.id(), "connected", ",\"connectMs\":150,\"local\":\"relay\","
                + "\"remote\":\"relay\",\"relayProtocol\":\"udp\""));
        send(a.connection(), report("abcd:wxyz", b.id(), "connected", relayed)); // resent: still once
        CallStats calls = hub.stats().calls();
        int connected = CallStats.OUTCOMES.indexOf("connected");
        assertThat(calls.calls(connected, CallStats.PATHS.indexOf("relay_tcp"))).isEqualTo(1);
        assertThat(calls.calls(connected, CallStats.PATHS.indexOf("relay_udp"))).isZero();
        assertThat(calls.iceRestarts.sum()).isEqualTo(1);
        assertThat(connectMillis).containsExactly(140L);
        assertThat(calls.lastHour(clock.instant())).isEqualTo(new CallStats.Window(1, 1, 1, 140));
        assertThat(a.link().drain()).extracting(m -> m.get("type").asText()).containsExactly("ack", "ack");

        clock.advance(Duration.ofSeconds(2));
        send(b.connection(), report("efgh:ijkl", a.id(), "failed", ""));
        assertThat(calls.calls(CallStats.OUTCOMES.indexOf("failed"), CallStats.PATHS.indexOf("none"))).isEqualTo(1);
        assertThat(calls.lastHour(clock.instant())).isEqualTo(new CallStats.Window(2, 1, 1, 140));
        clock.advance(Duration.ofMinutes(61));
        assertThat(calls.lastHour(clock.instant())).isEqualTo(new CallStats.Window(0, 0, 0, -1));
    }

    @Test
    void callReportsNameAMemberOfTheRoomAndAreRateLimited() {
        Member a = join("Ann", true);
        Member b = join("Bob", true);
        String other = rooms.create(2, Duration.ofHours(2), clock.instant()).orElseThrow().code();
        RecordingLink l = new RecordingLink();
        Connection c = hub.open(l, "h");
        send(c, "{\"type\":\"join\",\"room\":\"" + other + "\"}");
        l.drain();
        a.link().drain();
        // a member of another room cannot count a call with Ann; nor can Ann with herself or a stranger
        send(c, report("abcd:wxyz", a.id(), "failed", ""));
        send(a.connection(), report("abcd:wxyz", a.id(), "failed", ""));
        send(a.connection(), report("abcd:wxyz", "nobody", "failed", ""));
        assertThat(l.drain()).extracting(m -> m.get("code").asText()).containsExactly("bad_message");
        assertThat(a.link().drain()).extracting(m -> m.get("code").asText())
                .containsExactly("bad_message", "bad_message");
        send(a.connection(), report("aaaa:bbbb", b.id(), "failed", ""));
        send(a.connection(), report("cccc:dddd", b.id(), "failed", ""));
        assertThat(a.link().drain()).extracting(m -> m.path("code").asText("ack")).containsExactly("ack",
                "rate_limited");
        for (int i = 0; i < Peer.CALL_REPORTS_MAX + 3; i++) {
            clock.advance(SignalingHub.CALL_REPORT_INTERVAL);
            send(a.connection(), report("call" + i + ":x", b.id(), "failed", ""));
        }
        int failed = CallStats.OUTCOMES.indexOf("failed");
        assertThat(hub.stats().calls().calls(failed, CallStats.PATHS.indexOf("none")))
                .isEqualTo(Peer.CALL_REPORTS_MAX);
    }
}
