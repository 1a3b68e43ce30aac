package dev.turnbridge.signaling.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.http.HttpGateHandler;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.realtime.PhoenixMessage;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.realtime.Vsn;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Realtime handler off the network: the size limit and the frame kinds, every buffer released. */
class RealtimeWebSocketHandlerTest {

    private static final int MAX = 1024;
    private final Settings settings = TestSettings.with("signaling.supabase.anon-keys=anon-key-0123456789abcdef",
            "signaling.max-message-size=" + MAX);

    private EmbeddedChannel channel(Vsn vsn) {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
        SignalingHub hub = new SignalingHub(settings.signaling(), rooms, new IceServersIssuer(
                new Secret(TestSettings.SECRET), Duration.ofHours(1), new TurnUris(List.of(), "", 3478)), clock,
                new SecureRandom());
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(WebSocketSessionHandler.IDLE_HANDLER, new IdleStateHandler(0, 0, 60));
        ch.pipeline().addLast("gate", new HttpGateHandler("/ws/v1", null, null, null));
        ch.pipeline().addLast("session", new RealtimeWebSocketHandler(
                new RealtimeGateway(settings.signaling(), hub, rooms, clock), vsn, MAX, Duration.ofSeconds(60)));
        ch.pipeline().fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete(
                "/realtime/v1/websocket", new DefaultHttpHeaders(), null));
        return ch;
    }

    private static List<PhoenixMessage> replies(EmbeddedChannel ch, Vsn vsn) throws Exception {
        ch.runPendingTasks();
        List<PhoenixMessage> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            TextWebSocketFrame frame = (TextWebSocketFrame) o;
            try {
                out.add(vsn.decode(frame.text()));
            } finally {
                frame.release();
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Vsn.class)
    void anOversizedMessageGetsPayloadTooLargeForItsRef(Vsn vsn) throws Exception {
        EmbeddedChannel ch = channel(vsn);
        String big = "x".repeat(MAX);
        String text = vsn == Vsn.V2 ? "[\"1\",\"7\",\"realtime:room:ABCDEFGH\",\"broadcast\",{\"event\":\"e\",\"payload\":\""
                + big + "\"}]" : "{\"join_ref\":\"1\",\"ref\":\"7\",\"topic\":\"realtime:room:ABCDEFGH\",\"event\":"
                + "\"broadcast\",\"payload\":{\"event\":\"e\",\"payload\":\"" + big + "\"}}";
        WebSocketFrame frame = new TextWebSocketFrame(text);

        ch.writeInbound(frame);

        assertThat(frame.refCnt()).isZero();
        List<PhoenixMessage> out = replies(ch, vsn);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).ref()).isEqualTo("7");
        assertThat(out.get(0).payload().path("response").path("reason").asText())
                .isEqualTo("PayloadTooLarge: message larger than " + MAX + " bytes");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Vsn.class)
    void aBinaryFrameIsReadOnlyByVsn2(Vsn vsn) throws Exception {
        EmbeddedChannel ch = channel(vsn);
        byte[] push = {3, 1, 1, 5, 1, 0, 1, '1', '2', 'r', 'o', 'o', 'm', 'x', 'e', '{', '}'};
        WebSocketFrame frame = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(push));

        ch.writeInbound(frame);

        assertThat(frame.refCnt()).isZero();
        List<PhoenixMessage> out = replies(ch, vsn);
        if (vsn == Vsn.V2) {
            // decoded (topic "roomx" is not a realtime topic): answered as unmatched, for its ref
            assertThat(out).singleElement().satisfies(m -> {
                assertThat(m.ref()).isEqualTo("2");
                assertThat(m.payload().path("response").path("reason").asText()).isEqualTo("unmatched topic");
            });
        } else {
            assertThat(out).isEmpty(); // not readable at all in 1.0.0: dropped
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Vsn.class)
    void garbageIsDroppedAndTheSocketStaysOpen(Vsn vsn) throws Exception {
        EmbeddedChannel ch = channel(vsn);

        ch.writeInbound(new TextWebSocketFrame(Unpooled.copiedBuffer("\u0000garbage", StandardCharsets.UTF_8)));
        ch.writeInbound(new TextWebSocketFrame(vsn == Vsn.V2 ? "[null,\"3\",\"phoenix\",\"heartbeat\",{}]"
                : "{\"ref\":\"3\",\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{}}"));

        List<PhoenixMessage> out = replies(ch, vsn);
        assertThat(out).singleElement().satisfies(m -> {
            assertThat(m.ref()).isEqualTo("3");
            assertThat(m.payload().path("status").asText()).isEqualTo("ok");
        });
        assertThat(ch.isActive()).isTrue();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
