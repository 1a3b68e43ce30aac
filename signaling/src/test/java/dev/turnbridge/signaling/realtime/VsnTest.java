package dev.turnbridge.signaling.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.turnbridge.signaling.message.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The two serializers of realtime-js, on the frames its client sends. */
class VsnTest {

    @Test
    void v1DecodesTheObjectForm() throws BadFrame {
        PhoenixMessage m = Vsn.V1.decode("{\"topic\":\"realtime:room:ABCDEFGH\",\"event\":\"phx_join\","
                + "\"payload\":{\"config\":{}},\"ref\":\"1\",\"join_ref\":\"1\"}");

        assertThat(m).isEqualTo(new PhoenixMessage("1", "1", "realtime:room:ABCDEFGH", "phx_join",
                Json.object().set("config", Json.object())));
    }

    @Test
    void v2DecodesTheArrayForm() throws BadFrame {
        PhoenixMessage m = Vsn.V2.decode("[null,\"7\",\"phoenix\",\"heartbeat\",{}]");

        assertThat(m.joinRef()).isNull();
        assertThat(m.ref()).isEqualTo("7");
        assertThat(m.topic()).isEqualTo("phoenix");
        assertThat(m.event()).isEqualTo("heartbeat");
        assertThat(m.payload().isObject()).isTrue();
    }

    @Test
    void encodesWhatTheClientDecodes() {
        PhoenixMessage m = new PhoenixMessage("1", "2", "realtime:room:X", "phx_reply", null).ok(null);

        assertThat(Vsn.V2.encode(m)).isEqualTo(
                "[\"1\",\"2\",\"realtime:room:X\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]");
        assertThat(Vsn.V1.encode(m)).isEqualTo("{\"join_ref\":\"1\",\"ref\":\"2\",\"topic\":\"realtime:room:X\","
                + "\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{}}}");
    }

    @Test
    void v2DecodesTheBinaryUserBroadcastPush() throws BadFrame {
        // as realtime-js 2.119.0's Serializer._encodeUserBroadcastPush writes it (JSON encoding)
        byte[] frame = push("3", "12", "realtime:room:ABCDEFGH", "webrtc-signal", "", 1,
                "{\"type\":\"offer\",\"sdp\":\"v=0\"}");

        PhoenixMessage m = Vsn.V2.decode(frame);

        assertThat(m.joinRef()).isEqualTo("3");
        assertThat(m.ref()).isEqualTo("12");
        assertThat(m.topic()).isEqualTo("realtime:room:ABCDEFGH");
        assertThat(m.event()).isEqualTo("broadcast");
        assertThat(Json.write(m.payload())).isEqualTo(
                "{\"type\":\"broadcast\",\"event\":\"webrtc-signal\",\"payload\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}");
    }

    @Test
    void binaryPayloadsAreRefusedWithTheRefsToAnswer() {
        BadFrame bad = catchThrowableOfType(BadFrame.class,
                () -> Vsn.V2.decode(push("3", "12", "realtime:room:X", "blob", "", 0, "\u0001\u0002")));

        assertThat(bad.partial().ref()).isEqualTo("12");
        assertThat(bad.partial().topic()).isEqualTo("realtime:room:X");
        assertThat(bad.getMessage()).contains("binary broadcast payloads are not supported");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "V1|not json|malformed JSON",
        "V1|[null,\"1\",\"t\",\"e\",{}]|expected a JSON object",
        "V2|{\"topic\":\"t\"}|expected [join_ref, ref, topic, event, payload]",
        "V2|[null,\"1\",\"t\",\"e\"]|expected [join_ref, ref, topic, event, payload]",
        "V2|[null,\"1\",5,\"e\",{}]|topic must be a string",
        "V2|[null,\"1\",\"t\",\"\",{}]|event must be a string",
        "V2|[null,\"1\",\"t\",\"e\",[1]]|payload must be an object",
        "V2|[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]|malformed JSON",
    })
    void badTextFrames(Vsn vsn, String text, String reason) {
        BadFrame bad = catchThrowableOfType(BadFrame.class, () -> vsn.decode(text));

        assertThat(bad).hasMessage(reason);
    }

    @Test
    void badBinaryFrames() {
        assertThat(catchThrowableOfType(BadFrame.class, () -> Vsn.V1.decode(new byte[] {3, 0, 0, 0, 0, 0, 1})))
                .hasMessage("binary frames need vsn 2.0.0");
        assertThat(catchThrowableOfType(BadFrame.class, () -> Vsn.V2.decode(new byte[] {4, 0, 0, 0, 0, 0, 1})))
                .hasMessage("unknown binary frame");
        assertThat(catchThrowableOfType(BadFrame.class, () -> Vsn.V2.decode(new byte[] {3, 0, 0})))
                .hasMessage("unknown binary frame");
        assertThat(catchThrowableOfType(BadFrame.class, () -> Vsn.V2.decode(new byte[] {3, 9, 9, 9, 9, 9, 1, 0})))
                .hasMessage("truncated binary frame");
        assertThat(catchThrowableOfType(BadFrame.class, () -> Vsn.V2.decode(new byte[] {3, 0, 0, 1, 0, 0, 1,
                (byte) 0xff}))).hasMessage("invalid UTF-8");
    }

    @Test
    void vsnParameter() {
        assertThat(Vsn.of(null)).contains(Vsn.V1);
        assertThat(Vsn.of("1.0.0")).contains(Vsn.V1);
        assertThat(Vsn.of("2.0.0")).contains(Vsn.V2);
        assertThat(Vsn.of("3.0.0")).isEmpty();
    }

    static byte[] push(String joinRef, String ref, String topic, String event, String meta, int encoding,
                       String payload) {
        byte[][] parts = {utf8(joinRef), utf8(ref), utf8(topic), utf8(event), utf8(meta)};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Vsn.USER_BROADCAST_PUSH);
        for (byte[] p : parts) {
            out.write(p.length);
        }
        out.write(encoding);
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        out.writeBytes(payload.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
