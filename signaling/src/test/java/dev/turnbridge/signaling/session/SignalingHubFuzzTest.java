package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.message.ServerMessages;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of the signaling protocol end to end below the WebSocket: a short session of up to
 * four connections sending text frames (fuzzed bytes, or well-formed messages built from the room codes, peer
 * ids and resume tokens seen so far with fuzzed fields), dropped and clean closes, clock jumps with
 * {@link SignalingHub#sweep()}, and the HTTP ice-servers call. Each frame goes through {@link MessageDecoder}
 * exactly as the WebSocket handler does. Checked: nothing throws, everything the hub sends is valid JSON with
 * a type (the {@link RecordingLink} parses it), and a well-formed message always decodes.
 */
class SignalingHubFuzzTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Settings SETTINGS = TestSettings.with("signaling.room-capacity-max=3");
    private static final String[] TYPES = {"join", "resume", "signal", "leave", "heartbeat", "ack", "call_report"};
    private static final int MAX_STEPS = 24;

    @FuzzTest(maxDuration = "5m", maxExecutions = 300_000)
    void session(FuzzedDataProvider data) throws Exception {
        new Session(data).run();
    }

    private static final class Session {
        private final FuzzedDataProvider data;
        private final MutableClock clock = new MutableClock(START);
        private final SignalingHub hub;
        private final List<String> codes = new ArrayList<>();
        private final List<RecordingLink> links = new ArrayList<>();
        private final List<Connection> connections = new ArrayList<>();
        private final List<String> peerIds = new ArrayList<>();
        private final List<String> tokens = new ArrayList<>();
        private final java.util.Set<Connection> gone = new java.util.HashSet<>();

        Session(FuzzedDataProvider data) throws NoSuchAlgorithmException {
            this.data = data;
            InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(seeded(1), 10);
            IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                    new TurnUris(List.of(), "", 3478));
            this.hub = new SignalingHub(SETTINGS.signaling(), rooms, issuer, clock, seeded(2));
            codes.add(rooms.create(2, Duration.ofHours(2), clock.instant()).orElseThrow().code());
            codes.add(rooms.create(3, Duration.ofMinutes(5), clock.instant()).orElseThrow().code());
        }

        /** Deterministic, so that a saved finding replays the same peer ids and tokens. */
        private static SecureRandom seeded(long seed) throws NoSuchAlgorithmException {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        }

        void run() throws Exception {
            for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
                step();
                learn();
            }
            hub.shutdown();
            learn();
            for (int i = 0; i < links.size(); i++) {
                if (!gone.contains(connections.get(i))) {
                    assertThat(links.get(i).closeCode).as("connection left open by shutdown").isNotEqualTo(-1);
                }
            }
        }

        private void step() throws Exception {
            int op = data.consumeInt(0, 9);
            if (op == 0 || connections.isEmpty()) {
                if (connections.size() < 4) {
                    RecordingLink link = new RecordingLink();
                    links.add(link);
                    connections.add(hub.open(link, data.consumeBoolean() ? "127.0.0.1:8080" : data.consumeString(30)));
                }
                return;
            }
            Connection c = connections.get(data.consumeInt(0, connections.size() - 1));
            switch (op) {
                case 1 -> {
                    hub.closed(c, data.consumeBoolean(), data.consumeBoolean());
                    gone.add(c);
                }
                case 2 -> {
                    clock.advance(Duration.ofSeconds(data.consumeInt(0, 4000)));
                    hub.sweep();
                }
                case 3 -> {
                    String code = pick(codes);
                    hub.iceServers(data.consumeBoolean() ? code : data.consumeString(12), pick(tokens),
                            "127.0.0.1:8080");
                }
                case 4 -> frame(c, data.consumeString(data.consumeInt(0, 300)), false);
                default -> frame(c, Json.write(message()), true);
            }
        }

        /** One text frame as the WebSocket handler sees it. */
        private void frame(Connection c, String text, boolean wellFormed) throws Exception {
            Decoded decoded = MessageDecoder.decode(text);
            if (decoded instanceof Decoded.Ok ok) {
                hub.handle(c, ok.message());
            } else {
                assertThat(wellFormed).as("well-formed message refused: %s", text).isFalse();
                Decoded.Bad bad = (Decoded.Bad) decoded;
                assertThat(bad.code()).isEqualTo(ErrorCode.BAD_MESSAGE);
                Json.MAPPER.readTree(ServerMessages.error(bad.code(), bad.message(), bad.ref()));
            }
        }

        private ObjectNode message() {
            ObjectNode m = Json.object();
            String type = TYPES[data.consumeInt(0, TYPES.length - 1)];
            m.put("type", type);
            switch (data.consumeInt(0, 3)) {
                case 0 -> m.put("ref", data.consumeString(8));
                case 1 -> m.put("ref", data.consumeLong());
                default -> { }
            }
            switch (type) {
                case "join" -> {
                    String code = pick(codes);
                    m.put("room", switch (data.consumeInt(0, 3)) {
                        case 0 -> code.toLowerCase();
                        case 1 -> data.consumeString(12);
                        default -> code;
                    });
                    if (data.consumeBoolean()) {
                        m.putObject("meta").put("name", data.consumeString(20));
                    }
                    if (data.consumeBoolean()) {
                        m.putObject("config").put("self", data.consumeBoolean()).put("ack", data.consumeBoolean())
                                .put("seq", data.consumeBoolean());
                    }
                    if (data.consumeBoolean()) {
                        m.put("token", pick(tokens)); // a reloaded page taking its seat over
                    }
                }
                case "resume" -> {
                    String token = data.consumeBoolean() ? pick(tokens) : null;
                    m.put("token", token == null || token.isEmpty() ? "x" + data.consumeString(40) : token);
                    if (data.consumeBoolean()) {
                        m.put("seq", data.consumeLong(0, 1_000_000));
                    }
                }
                case "signal" -> {
                    if (data.consumeBoolean()) {
                        m.put("to", data.consumeInt(0, 3) == 0 ? data.consumeString(10) : pick(peerIds));
                    }
                    if (data.consumeBoolean()) {
                        m.put("seq", data.consumeLong(1, 40));
                    }
                    m.set("payload", payload());
                }
                case "ack" -> m.put("seq", data.consumeLong(0, 60));
                case "call_report" -> {
                    m.put("call", data.consumeBoolean() ? "abcd:efgh" : "c" + data.consumeInt(0, 40) + ":x");
                    m.put("with", pick(peerIds).isEmpty() ? "nobody" : pick(peerIds));
                    if (data.consumeBoolean()) {
                        m.put("outcome", "failed");
                    } else {
                        m.put("outcome", "connected").put("connectMs", data.consumeLong(0, 600_000))
                                .put("local", "relay").put("remote", "host").put("relayProtocol", "tcp");
                    }
                    m.put("iceRestart", data.consumeBoolean());
                }
                default -> { }
            }
            return m;
        }

        private JsonNode payload() {
            String text = data.consumeString(60);
            try {
                JsonNode parsed = Json.MAPPER.readTree(text);
                if (parsed != null) {
                    return parsed;
                }
            } catch (Exception e) {
                // not JSON: send it as a string
            }
            return Json.MAPPER.getNodeFactory().textNode(text);
        }

        private String pick(List<String> from) {
            return from.isEmpty() ? "" : from.get(data.consumeInt(0, from.size() - 1));
        }

        /** Remembers peer ids and resume tokens the hub handed out, so later messages can use them. */
        private void learn() {
            for (RecordingLink link : links) {
                for (JsonNode m : link.drain()) {
                    assertThat(m.path("type").isTextual()).as("message without type: %s", m).isTrue();
                    if ("joined".equals(m.path("type").asText())) {
                        String id = m.path("peerId").asText();
                        if (!peerIds.contains(id)) {
                            peerIds.add(id);
                            tokens.add(m.path("token").asText());
                        }
                    }
                }
            }
            assertThat(hub.describe().getBytes(StandardCharsets.US_ASCII)).isNotEmpty();
        }
    }
}
