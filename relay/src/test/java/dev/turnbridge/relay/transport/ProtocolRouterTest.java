package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtocolRouterTest {

    @ParameterizedTest(name = "ALPN {0}, first byte {1} -> {2}")
    @CsvSource({
        "stun.turn,          0x47, TURN",   // ALPN wins over the bytes
        "stun.nat-discovery, 0x47, TURN",
        "http/1.1,           0x00, HTTP",
        ",                   0x00, TURN",   // STUN request: top bits 00 (RFC 8489 §5)
        ",                   0x01, TURN",   // STUN indication/response class bits
        ",                   0x3F, TURN",
        ",                   0x40, HTTP",   // ChannelData cannot come first: no channel is bound yet
        ",                   0x47, HTTP",   // 'G'ET
        ",                   0x50, HTTP",   // 'P'OST
        ",                   0x16, TURN",   // a nested TLS record: not HTTP, TURN framing rejects it
        ",                   0xFF, HTTP",
    })
    void routesByAlpnThenFirstByte(String alpn, String firstByte, ProtocolRouter.Route expected) {
        assertThat(ProtocolRouter.route(alpn, Integer.decode(firstByte))).isEqualTo(expected);
    }

    /** Records what reaches the routed pipeline. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        final StringBuilder bytes = new StringBuilder();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            events.add("active");
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                bytes.append(buf.toString(StandardCharsets.ISO_8859_1));
                events.add("read");
            } finally {
                buf.release();
            }
        }
    }

    private static ChannelHandler installing(Recorder recorder) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(recorder);
            }
        };
    }

    @Test
    void httpRequestSplitOverReadsReachesHttpWhole_afterChannelActive() {
        Recorder turn = new Recorder();
        Recorder http = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolRouter(installing(turn), () -> installing(http), 10_000));
        assertThat(ch.writeInbound(Unpooled.EMPTY_BUFFER)).isFalse();
        assertThat(http.events).isEmpty();
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        ch.writeInbound(Unpooled.copiedBuffer("Host: x\r\n\r\n", StandardCharsets.US_ASCII));

        assertThat(http.events.get(0)).isEqualTo("active");
        assertThat(http.bytes.toString()).isEqualTo("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(turn.events).isEmpty();
        assertThat(ch.pipeline().get(ProtocolRouter.class)).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void stunHeaderGoesToTurn() {
        Recorder turn = new Recorder();
        Recorder http = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolRouter(installing(turn), () -> installing(http), 10_000));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x00, 0x03, 0x00, 0x00, 0x21, 0x12, (byte) 0xA4, 0x42}));

        assertThat(turn.events).containsExactly("active", "read");
        assertThat(turn.bytes).hasSize(8);
        assertThat(http.events).isEmpty();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void httpWithoutSignalingUpIsClosedAndItsBytesReleased() {
        Recorder turn = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolRouter(installing(turn), () -> null, 10_000));
        ByteBuf request = Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII);
        ch.writeInbound(request);

        assertThat(ch.isOpen()).isFalse();
        assertThat(request.refCnt()).isZero();
        assertThat(turn.events).isEmpty();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void silentConnectionIsClosedAtTheDeadline() throws Exception {
        Recorder turn = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolRouter(installing(turn), () -> null, 50));
        assertThat(ch.isOpen()).isTrue();
        TimeUnit.MILLISECONDS.sleep(80);
        ch.runPendingTasks();

        assertThat(ch.isOpen()).isFalse();
        assertThat(turn.events).isEmpty();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void routedConnectionIsNotClosedByTheDeadline() throws Exception {
        Recorder turn = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolRouter(installing(turn), () -> null, 50));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x00, 0x01}));
        TimeUnit.MILLISECONDS.sleep(80);
        ch.runPendingTasks();

        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }
}
