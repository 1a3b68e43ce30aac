package dev.turnbridge.signaling.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.http.HttpGateHandler;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.realtime.BadFrame;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.realtime.Vsn;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Garbage and near-miss frames through the Realtime handler in an {@link EmbeddedChannel} over a real hub:
 * never an exception, every inbound buffer released (the leak detector runs at PARANOID), every answer a text
 * frame the client's serializer reads, and no hub connection left once the socket closes.
 */
class RealtimeFramesFuzzTest {

    private static final Settings SETTINGS = TestSettings.with(
            "signaling.supabase.anon-keys=anon-key-0123456789abcdef", "signaling.supabase.implicit-rooms=true",
            "signaling.max-message-size=1024");

    @Property(tries = 150)
    void framesGetACleanAnswerOrNone(@ForAll("vsns") Vsn vsn, @ForAll("frames") List<Object> frames) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        SignalingHub hub = new SignalingHub(SETTINGS.signaling(), rooms, new IceServersIssuer(
                new Secret(TestSettings.SECRET), Duration.ofHours(1), new TurnUris(List.of(), "", 3478)), clock,
                new SecureRandom());
        RealtimeGateway gateway = new RealtimeGateway(SETTINGS.signaling(), hub, rooms, clock);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(WebSocketSessionHandler.IDLE_HANDLER, new IdleStateHandler(0, 0, 60));
        ch.pipeline().addLast("gate", new HttpGateHandler("/ws/v1", null, null, null));
        ch.pipeline().addLast("session", new RealtimeWebSocketHandler(gateway, vsn, 1024, Duration.ofSeconds(60)));
        ch.pipeline().fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete(
                "/realtime/v1/websocket", new DefaultHttpHeaders().set("host", "127.0.0.1:8080"), null));
        for (Object f : frames) {
            // Unpooled (and leak-tracked) inbound buffers: a released pooled buffer's object goes back to the
            // pool, and the answer the handler writes next takes it over, so its refCnt() would read 1 again.
            WebSocketFrame frame = f instanceof String s
                    ? new TextWebSocketFrame(Unpooled.buffer().writeBytes(s.getBytes(StandardCharsets.UTF_8)))
                    : new BinaryWebSocketFrame(Unpooled.buffer().writeBytes((byte[]) f));
            ch.writeInbound(frame);
            assertThat(frame.refCnt()).isZero();
            ch.runPendingTasks();
        }
        ch.runPendingTasks();
        for (Object out; (out = ch.readOutbound()) != null; ) {
            try {
                assertThat(out).isInstanceOf(TextWebSocketFrame.class);
                readable(vsn, ((TextWebSocketFrame) out).text());
            } finally {
                ((ByteBuf) ((WebSocketFrame) out).content()).release();
            }
        }
        ch.close().sync();
        ch.runPendingTasks();
        assertThat(hub.connectionCount()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private static void readable(Vsn vsn, String text) {
        try {
            vsn.decode(text);
        } catch (BadFrame e) {
            throw new AssertionError("the client cannot read " + text, e);
        }
    }

    @Provide
    Arbitrary<Vsn> vsns() {
        return Arbitraries.of(Vsn.values());
    }

    @Provide
    Arbitrary<List<Object>> frames() {
        Arbitrary<String> topic = Arbitraries.of("phoenix", "realtime:room:fuzz", "realtime:room:", "realtime:x",
                "room:fuzz", "realtime:room:ABCDEFGH", "");
        Arbitrary<String> event = Arbitraries.of("phx_join", "phx_leave", "heartbeat", "broadcast", "presence",
                "access_token", "phx_reply", "", "nope");
        Arbitrary<String> payload = Arbitraries.of("{}", "null", "[]", "1", "\"s\"",
                "{\"config\":{\"broadcast\":{\"self\":true,\"ack\":true},\"presence\":{\"key\":\"k\"},\"private\":true}}",
                "{\"type\":\"broadcast\",\"event\":\"chat\",\"payload\":{\"t\":1}}",
                "{\"event\":\"track\",\"payload\":{\"n\":\"x\"}}", "{\"event\":\"untrack\"}",
                "{\"event\":\"track\",\"payload\":" + "[".repeat(70) + "]".repeat(70) + "}",
                "{\"access_token\":\"not.a.jwt\"}", "{\"event\":\"track\",\"payload\":{\"big\":\"" + "x".repeat(1100) + "\"}}");
        Arbitrary<String> ref = Arbitraries.of("null", "\"1\"", "2", "{}", "\"" + "r".repeat(300) + "\"");
        Arbitrary<String> array = Combinators.combine(ref, ref, topic, event, payload)
                .as((j, r, t, e, p) -> "[" + j + "," + r + ",\"" + t + "\",\"" + e + "\"," + p + "]");
        Arbitrary<String> object = Combinators.combine(ref, ref, topic, event, payload)
                .as((j, r, t, e, p) -> "{\"join_ref\":" + j + ",\"ref\":" + r + ",\"topic\":\"" + t
                        + "\",\"event\":\"" + e + "\",\"payload\":" + p + "}");
        Arbitrary<String> garbage = Arbitraries.strings().ofMaxLength(1300);
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(1300);
        Arbitrary<byte[]> push = Combinators.combine(Arbitraries.bytes().array(byte[].class).ofSize(6),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(80)).as((header, rest) -> {
                    byte[] b = new byte[1 + header.length + rest.length];
                    b[0] = 3;
                    System.arraycopy(header, 0, b, 1, header.length);
                    System.arraycopy(rest, 0, b, 1 + header.length, rest.length);
                    return b;
                });
        return Arbitraries.oneOf(array, object, garbage, bytes.map(b -> (Object) b), push.map(b -> (Object) b))
                .map(o -> (Object) o).list().ofMaxSize(12);
    }
}
