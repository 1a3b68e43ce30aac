package dev.turnbridge.signaling.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.session.Connection;
import dev.turnbridge.signaling.session.PeerLink;
import dev.turnbridge.signaling.session.SignalingHub;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Phoenix channel state machine over a real hub (open access), off the network: what a supabase-js client
 * sends, and what it and a {@code signaling.js} member of the same room get back.
 */
class RealtimeSocketTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private Settings settings = TestSettings.with("signaling.supabase.anon-keys=anon-key-0123456789abcdef",
            "signaling.supabase.max-channels-per-socket=2", "signaling.supabase.max-presence-size=64",
            "signaling.message-rate=1", "signaling.message-burst=20");
    private InMemoryRoomRegistry rooms;
    private SignalingHub hub;
    private RealtimeGateway gateway;
    private String code;
    private String topic;

    /** A socket's sink: what it sent, decoded, and its tasks run when the test says. */
    static final class Sink implements SocketSink {
        final Vsn vsn;
        final List<PhoenixMessage> sent = new ArrayList<>();
        final Queue<Runnable> tasks = new ArrayDeque<>();
        int closeCode = -1;

        Sink(Vsn vsn) {
            this.vsn = vsn;
        }

        @Override
        public void send(String text) {
            try {
                sent.add(vsn.decode(text));
            } catch (BadFrame e) {
                throw new AssertionError("unreadable by the client: " + text, e);
            }
        }

        @Override
        public void close(int code, String reason) {
            closeCode = code;
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void run() {
            while (!tasks.isEmpty()) {
                tasks.poll().run();
            }
        }

        List<PhoenixMessage> drain() {
            run();
            List<PhoenixMessage> out = List.copyOf(sent);
            sent.clear();
            return out;
        }

        List<String> events() {
            return sent.stream().map(PhoenixMessage::event).toList();
        }
    }

    @BeforeEach
    void setUp() {
        build(settings);
    }

    private void build(Settings s) {
        settings = s;
        rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                new TurnUris(List.of(), "", 3478));
        hub = new SignalingHub(s.signaling(), rooms, issuer, clock, new SecureRandom());
        gateway = new RealtimeGateway(s.signaling(), hub, rooms, clock);
        code = rooms.create(4, Duration.ofHours(2), clock.instant()).orElseThrow().code();
        topic = "realtime:room:" + code;
    }

    private static PhoenixMessage msg(String joinRef, String ref, String topic, String event, String payload) {
        try {
            return new PhoenixMessage(joinRef, ref, topic, event, Json.MAPPER.readTree(payload));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private RealtimeSocket open(Sink sink) {
        return gateway.open(sink, sink.vsn, "127.0.0.1:8080", null);
    }

    private void join(RealtimeSocket socket, Sink sink, String config) {
        socket.receive(msg("1", "1", topic, "phx_join", "{\"config\":" + config + "}"));
        sink.run();
    }

    @Test
    void heartbeatIsAnsweredOnThePhoenixTopic() {
        Sink sink = new Sink(Vsn.V2);
        RealtimeSocket socket = open(sink);

        socket.receive(msg(null, "5", "phoenix", "heartbeat", "{}"));

        PhoenixMessage reply = sink.drain().get(0);
        assertThat(reply.topic()).isEqualTo("phoenix");
        assertThat(reply.ref()).isEqualTo("5");
        assertThat(reply.payload().path("status").asText()).isEqualTo("ok");
    }

    @Test
    void joinRepliesOkThenPresenceStateThenTurnCredentials() {
        Sink sink = new Sink(Vsn.V2);
        RealtimeSocket socket = open(sink);

        join(socket, sink, "{\"broadcast\":{\"self\":false,\"ack\":false},\"presence\":{\"key\":\"\"}}");

        List<PhoenixMessage> out = sink.drain();
        assertThat(out).extracting(PhoenixMessage::event).containsExactly("phx_reply", "broadcast", "presence_state");
        assertThat(out.get(0).payload().path("status").asText()).isEqualTo("ok");
        assertThat(out.get(0).ref()).isEqualTo("1");
        assertThat(out.get(1).payload().path("event").asText()).isEqualTo("turn-credentials");
        assertThat(out.get(1).payload().path("payload").path("iceServers").isArray()).isTrue();
        // an untracked member is not in Supabase presence
        assertThat(out.get(2).payload().isEmpty()).isTrue();
    }

    @Test
    void presenceInSupabaseShapeBothWaysAndLeave() {
        Sink a = new Sink(Vsn.V2);
        Sink b = new Sink(Vsn.V1);
        RealtimeSocket sa = open(a);
        RealtimeSocket sb = open(b);
        join(sa, a, "{\"presence\":{\"key\":\"alice\"}}");
        join(sb, b, "{}");
        a.drain();
        b.drain();

        sa.receive(msg("1", "2", topic, "presence", "{\"type\":\"presence\",\"event\":\"track\","
                + "\"payload\":{\"name\":\"Alice\"}}"));

        List<PhoenixMessage> toB = b.drain();
        assertThat(toB).extracting(PhoenixMessage::event).containsExactly("presence_diff");
        JsonNode metas = toB.get(0).payload().path("joins").path("alice").path("metas");
        assertThat(metas).hasSize(1);
        assertThat(metas.get(0).path("name").asText()).isEqualTo("Alice");
        assertThat(metas.get(0).path("phx_ref").asText()).isNotEmpty();
        assertThat(metas.get(0).has(RealtimeChannel.MARK)).isFalse();
        List<PhoenixMessage> toA = a.drain();
        assertThat(toA).extracting(PhoenixMessage::event).containsExactly("presence_diff", "phx_reply");
        String ref = metas.get(0).path("phx_ref").asText();

        // a second track replaces the meta: the old one leaves, the new one joins
        sa.receive(msg("1", "3", topic, "presence", "{\"type\":\"presence\",\"event\":\"track\","
                + "\"payload\":{\"name\":\"Alice 2\"}}"));
        JsonNode diff = b.drain().get(0).payload();
        assertThat(diff.path("leaves").path("alice").path("metas").get(0).path("phx_ref").asText()).isEqualTo(ref);
        assertThat(diff.path("joins").path("alice").path("metas").get(0).path("name").asText()).isEqualTo("Alice 2");
        a.drain();

        // leave: the other sees the meta leave, the leaver gets its reply
        sa.receive(msg("1", "4", topic, "phx_leave", "{}"));
        assertThat(a.drain()).extracting(PhoenixMessage::event).containsExactly("phx_reply");
        JsonNode left = b.drain().get(0).payload();
        assertThat(left.path("leaves").path("alice").path("metas").get(0).path("name").asText()).isEqualTo("Alice 2");
        assertThat(left.path("joins").isEmpty()).isTrue();
    }

    @Test
    void untrackRemovesFromPresence() {
        Sink a = new Sink(Vsn.V2);
        Sink b = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        RealtimeSocket sb = open(b);
        join(sa, a, "{}");
        join(sb, b, "{}");
        sa.receive(msg("1", "2", topic, "presence", "{\"event\":\"track\",\"payload\":{\"n\":1}}"));
        b.drain();

        sa.receive(msg("1", "3", topic, "presence", "{\"event\":\"untrack\"}"));

        JsonNode diff = b.drain().get(0).payload();
        assertThat(diff.path("leaves").size()).isEqualTo(1);
        assertThat(diff.path("joins").isEmpty()).isTrue();
    }

    @Test
    void broadcastWithAnyEventSelfAndAck() {
        Sink a = new Sink(Vsn.V2);
        Sink b = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        RealtimeSocket sb = open(b);
        join(sa, a, "{\"broadcast\":{\"self\":true,\"ack\":true}}");
        join(sb, b, "{\"broadcast\":{\"self\":false,\"ack\":false}}");
        a.drain();
        b.drain();

        sa.receive(msg("1", "9", topic, "broadcast", "{\"type\":\"broadcast\",\"event\":\"chat\","
                + "\"payload\":{\"text\":\"hi\"}}"));

        PhoenixMessage atB = b.drain().get(0);
        assertThat(atB.event()).isEqualTo("broadcast");
        assertThat(Json.write(atB.payload())).isEqualTo(
                "{\"type\":\"broadcast\",\"event\":\"chat\",\"payload\":{\"text\":\"hi\"}}");
        List<PhoenixMessage> atA = a.drain();
        assertThat(atA).extracting(PhoenixMessage::event).containsExactly("broadcast", "phx_reply");
        assertThat(atA.get(1).ref()).isEqualTo("9");
        assertThat(atA.get(1).payload().path("status").asText()).isEqualTo("ok");

        // self: false and no ack for b
        sb.receive(msg("1", "10", topic, "broadcast", "{\"event\":\"webrtc-signal\",\"payload\":{}}"));
        assertThat(b.drain()).isEmpty();
        assertThat(a.drain()).extracting(PhoenixMessage::event).containsExactly("broadcast");
    }

    @Test
    void mixedRoomWithOurOwnProtocol() {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        join(sa, a, "{}");
        a.drain();
        List<JsonNode> ours = new ArrayList<>();
        PeerLink link = new PeerLink() {
            @Override
            public void send(String text) {
                try {
                    ours.add(Json.MAPPER.readTree(text));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }

            @Override
            public void close(int code, String reason) {
            }
        };
        Connection c = hub.open(link, "127.0.0.1:8080");
        hub.handle(c, ((Decoded.Ok) MessageDecoder.decode(
                "{\"type\":\"join\",\"room\":\"" + code + "\",\"meta\":{\"name\":\"Bob\"}}")).message());

        // the signaling.js member shows in Supabase presence under its peer id
        JsonNode joins = a.drain().get(0).payload().path("joins");
        String peerId = joins.fieldNames().next();
        assertThat(joins.path(peerId).path("metas").get(0).path("name").asText()).isEqualTo("Bob");
        // the Supabase member is in its presence from the join (untracked: only its marker)
        JsonNode state = ours.stream().filter(m -> m.path("type").asText().equals("joined")).findFirst()
                .orElseThrow().path("presence");
        assertThat(state.size()).isEqualTo(2);

        // a Supabase broadcast reaches it as a signal {event, payload}; its signal {event, payload} comes back
        sa.receive(msg("1", "2", topic, "broadcast", "{\"event\":\"webrtc-signal\",\"payload\":{\"type\":\"offer\"}}"));
        JsonNode signal = ours.get(ours.size() - 1);
        assertThat(signal.path("type").asText()).isEqualTo("signal");
        assertThat(Json.write(signal.path("payload"))).isEqualTo("{\"event\":\"webrtc-signal\",\"payload\":{\"type\":\"offer\"}}");
        hub.handle(c, ((Decoded.Ok) MessageDecoder.decode("{\"type\":\"signal\",\"payload\":"
                + "{\"event\":\"webrtc-signal\",\"payload\":{\"type\":\"answer\"}}}")).message());
        PhoenixMessage back = a.drain().get(0);
        assertThat(Json.write(back.payload())).isEqualTo(
                "{\"type\":\"broadcast\",\"event\":\"webrtc-signal\",\"payload\":{\"type\":\"answer\"}}");
    }

    @Test
    void anEndedRoomClosesItsChannels() {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        join(sa, a, "{}");
        a.drain();

        clock.advance(Duration.ofHours(3));
        hub.sweep();

        List<PhoenixMessage> out = a.drain();
        assertThat(out).extracting(PhoenixMessage::event).containsExactly("system", "phx_close");
        assertThat(out.get(0).payload().path("message").asText()).startsWith("RoomExpired: ");
        assertThat(out.get(1).joinRef()).isEqualTo("1");
        assertThat(sa.channelCount()).isZero();
        assertThat(hub.connectionCount()).isZero();
    }

    @Test
    void closedSocketLeavesAtOnce() {
        Sink a = new Sink(Vsn.V2);
        Sink b = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        RealtimeSocket sb = open(b);
        join(sa, a, "{}");
        join(sb, b, "{}");
        sa.receive(msg("1", "2", topic, "presence", "{\"event\":\"track\",\"payload\":{\"n\":1}}"));
        b.drain();

        sa.closed();

        assertThat(b.drain().get(0).payload().path("leaves").size()).isEqualTo(1);
        assertThat(hub.connectionCount()).isEqualTo(1);
    }

    @Test
    void refusalsAndLimits() {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);

        // no such room, implicit rooms off
        sa.receive(msg("1", "1", "realtime:room:nosuchroom", "phx_join", "{}"));
        PhoenixMessage refused = a.drain().get(0);
        assertThat(refused.payload().path("status").asText()).isEqualTo("error");
        assertThat(refused.payload().path("response").path("reason").asText()).startsWith("RoomNotFound: ");
        // not a room topic
        sa.receive(msg("2", "2", "realtime:public:messages", "phx_join", "{}"));
        assertThat(a.drain().get(0).payload().path("response").path("reason").asText()).contains("Postgres changes");
        // an event on a topic not joined
        sa.receive(msg("3", "3", topic, "broadcast", "{\"event\":\"x\"}"));
        assertThat(a.drain().get(0).payload().path("response").path("reason").asText()).isEqualTo("unmatched topic");

        // channels per socket: 2
        String second = "realtime:room:" + rooms.create(4, Duration.ofHours(2), clock.instant()).orElseThrow().code();
        String third = "realtime:room:" + rooms.create(4, Duration.ofHours(2), clock.instant()).orElseThrow().code();
        join(sa, a, "{}");
        sa.receive(msg("4", "4", second, "phx_join", "{}"));
        a.drain();
        sa.receive(msg("5", "5", third, "phx_join", "{}"));
        assertThat(a.drain().get(0).payload().path("response").path("reason").asText())
                .isEqualTo("ChannelRateLimitReached: Too many channels");
        assertThat(sa.channelCount()).isEqualTo(2);

        // presence payload size: 64 bytes
        sa.receive(msg("1", "6", topic, "presence", "{\"event\":\"track\",\"payload\":{\"name\":\""
                + "x".repeat(80) + "\"}}"));
        assertThat(a.drain().get(0).payload().path("response").path("reason").asText())
                .startsWith("PresencePayloadTooLarge: ");
    }

    @Test
    void rateLimitRepliesWithAnError() {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        for (int i = 0; i < 20; i++) {
            sa.receive(msg(null, "h" + i, "phoenix", "heartbeat", "{}"));
        }
        assertThat(a.drain()).allMatch(m -> m.payload().path("status").asText().equals("ok")).hasSize(20);

        sa.receive(msg(null, "over", "phoenix", "heartbeat", "{}"));

        PhoenixMessage reply = a.drain().get(0);
        assertThat(reply.ref()).isEqualTo("over");
        assertThat(reply.payload().path("response").path("reason").asText())
                .isEqualTo("RateLimitReached: Too many messages per second");
        clock.advance(Duration.ofSeconds(1));
        sa.receive(msg(null, "later", "phoenix", "heartbeat", "{}"));
        assertThat(a.drain().get(0).payload().path("status").asText()).isEqualTo("ok");
    }

    @Test
    void implicitRoomsAreCreatedOnFirstJoinAndShared() {
        build(TestSettings.with("signaling.supabase.anon-keys=anon-key-0123456789abcdef",
                "signaling.supabase.implicit-rooms=true"));
        int before = rooms.size();
        Sink a = new Sink(Vsn.V2);
        Sink b = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        RealtimeSocket sb = open(b);

        sa.receive(msg("1", "1", "realtime:room:my-app-room-42", "phx_join", "{}"));
        sb.receive(msg("1", "1", "realtime:room:my-app-room-42", "phx_join", "{}"));

        assertThat(a.drain().get(0).payload().path("status").asText()).isEqualTo("ok");
        assertThat(b.drain().get(0).payload().path("status").asText()).isEqualTo("ok");
        assertThat(rooms.size()).isEqualTo(before + 1);
    }

    @Test
    void aDrainClosesTheSocketSoTheClientReconnectsLater() {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        join(sa, a, "{}");
        a.drain();

        hub.drain();

        assertThat(a.closeCode).isEqualTo(dev.turnbridge.signaling.session.CloseCodes.DRAINING);
    }

    @Test
    void restBroadcastIsBoundedInCountAndRate() throws Exception {
        Sink a = new Sink(Vsn.V2);
        RealtimeSocket sa = open(a);
        join(sa, a, "{}");
        a.drain();
        java.net.InetAddress client = java.net.InetAddress.getByName("127.0.0.9");
        String one = "{\"topic\":\"room:" + code + "\",\"event\":\"chat\",\"payload\":{\"t\":1}}";

        assertThat(gateway.broadcast("anon-key-0123456789abcdef", null, "{\"messages\":[" + one + "]}", client)
                .status()).isEqualTo(202);
        assertThat(Json.write(a.drain().get(0).payload()))
                .isEqualTo("{\"type\":\"broadcast\",\"event\":\"chat\",\"payload\":{\"t\":1}}");
        String seventeen = "{\"messages\":[" + String.join(",", java.util.Collections.nCopies(17, one)) + "]}";
        assertThat(gateway.broadcast("anon-key-0123456789abcdef", null, seventeen, client).status()).isEqualTo(400);
        assertThat(gateway.broadcast("anon-key-0123456789abcdef", null, "{\"messages\":[{\"topic\":\"room:NOSUCHRM\","
                + "\"event\":\"x\"}]}", client).status()).isEqualTo(404);
        assertThat(gateway.broadcast("anon-key-0123456789abcdef", null, "not json", client).status()).isEqualTo(400);
        int accepted = 0;
        for (int i = 0; i < 30; i++) {
            accepted += gateway.broadcastOne("anon-key-0123456789abcdef", null, "room:" + code, "e", "{}", client)
                    .status() == 202 ? 1 : 0;
        }
        // burst 20, minus the four requests above
        assertThat(accepted).isEqualTo(16);
        assertThat(gateway.broadcastOne("anon-key-0123456789abcdef", null, "room:" + code, "e", "{}", client).body()
                .path("error").asText()).isEqualTo("RateLimitReached: too many broadcasts");
    }

    @Test
    void apiKeysAreCheckedInConstantTimeAgainstEachAnonKey() {
        assertThat(gateway.isApiKey("anon-key-0123456789abcdef")).isTrue();
        assertThat(gateway.isApiKey("anon-key-0123456789abcdeX")).isFalse();
        assertThat(gateway.isApiKey(null)).isFalse();
        assertThat(gateway.broadcast("wrong", null, "{}", null)).isEqualTo(RestAnswer.INVALID_API_KEY);
    }
}
