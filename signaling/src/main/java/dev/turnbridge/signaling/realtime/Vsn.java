package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The two serializers of {@code @supabase/realtime-js}, chosen by the {@code vsn} query parameter:
 * {@code 1.0.0} sends JSON objects {@code {join_ref, ref, topic, event, payload}}; {@code 2.0.0} (the client's
 * default) sends JSON arrays {@code [join_ref, ref, topic, event, payload]} and user broadcasts as binary
 * frames (kind 3, "user broadcast push"). We always answer with text frames, which both decode.
 */
public enum Vsn {
    V1("1.0.0"),
    V2("2.0.0");

    /** Binary frame kind of a broadcast pushed by the client (realtime-js {@code KINDS.userBroadcastPush}). */
    static final int USER_BROADCAST_PUSH = 3;
    private static final int JSON_ENCODING = 1;
    private static final int PUSH_HEADER = 7;

    private final String wire;

    Vsn(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** The serializer of a {@code vsn} parameter; absent means 1.0.0 (the Phoenix default). */
    public static Optional<Vsn> of(String vsn) {
        if (vsn == null) {
            return Optional.of(V1);
        }
        for (Vsn v : values()) {
            if (v.wire.equals(vsn)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** One text frame. */
    public PhoenixMessage decode(String text) throws BadFrame {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new BadFrame("malformed JSON");
        }
        if (this == V1) {
            if (root == null || !root.isObject()) {
                throw new BadFrame("expected a JSON object");
            }
            return message(root.get("join_ref"), root.get("ref"), root.get("topic"), root.get("event"),
                    root.get("payload"));
        }
        if (root == null || !root.isArray() || root.size() != 5) {
            throw new BadFrame("expected [join_ref, ref, topic, event, payload]");
        }
        return message(root.get(0), root.get(1), root.get(2), root.get(3), root.get(4));
    }

    /** One binary frame: only 2.0.0 has them, and clients only send broadcasts that way. */
    public PhoenixMessage decode(byte[] frame) throws BadFrame {
        if (this != V2) {
            throw new BadFrame("binary frames need vsn 2.0.0");
        }
        if (frame.length < PUSH_HEADER || (frame[0] & 0xff) != USER_BROADCAST_PUSH) {
            throw new BadFrame("unknown binary frame");
        }
        int joinRefLength = frame[1] & 0xff;
        int refLength = frame[2] & 0xff;
        int topicLength = frame[3] & 0xff;
        int eventLength = frame[4] & 0xff;
        int metaLength = frame[5] & 0xff;
        int encoding = frame[6] & 0xff;
        int offset = PUSH_HEADER;
        if (frame.length < offset + joinRefLength + refLength + topicLength + eventLength + metaLength) {
            throw new BadFrame("truncated binary frame");
        }
        String joinRef = utf8(frame, offset, joinRefLength);
        offset += joinRefLength;
        String ref = utf8(frame, offset, refLength);
        offset += refLength;
        String topic = utf8(frame, offset, topicLength);
        offset += topicLength;
        String event = utf8(frame, offset, eventLength);
        offset += eventLength + metaLength; // metadata ("persist") has no meaning here: no stored messages
        PhoenixMessage partial = new PhoenixMessage(joinRef.isEmpty() ? null : joinRef, ref.isEmpty() ? null : ref,
                topic, PhoenixMessage.BROADCAST, null);
        if (encoding != JSON_ENCODING) {
            throw new BadFrame("binary broadcast payloads are not supported; send JSON", partial);
        }
        JsonNode payload;
        try {
            payload = Json.MAPPER.readTree(utf8(frame, offset, frame.length - offset));
        } catch (JacksonException e) {
            throw new BadFrame("malformed JSON payload", partial);
        }
        ObjectNode broadcast = Json.object();
        broadcast.put("type", PhoenixMessage.BROADCAST);
        broadcast.put("event", event);
        broadcast.set("payload", payload == null || payload.isMissingNode() ? Json.object() : payload);
        return new PhoenixMessage(partial.joinRef(), partial.ref(), topic, PhoenixMessage.BROADCAST, broadcast);
    }

    public String encode(PhoenixMessage m) {
        if (this == V1) {
            ObjectNode o = Json.object();
            o.put("join_ref", m.joinRef());
            o.put("ref", m.ref());
            o.put("topic", m.topic());
            o.put("event", m.event());
            o.set("payload", m.payload());
            return Json.write(o);
        }
        ArrayNode a = Json.MAPPER.createArrayNode();
        a.add(m.joinRef());
        a.add(m.ref());
        a.add(m.topic());
        a.add(m.event());
        a.add(m.payload());
        return Json.write(a);
    }

    private static PhoenixMessage message(JsonNode joinRef, JsonNode ref, JsonNode topic, JsonNode event,
                                          JsonNode payload) throws BadFrame {
        String r = refOf(ref);
        String j = refOf(joinRef);
        if (topic == null || !topic.isTextual() || topic.asText().isEmpty()) {
            throw new BadFrame("topic must be a string");
        }
        PhoenixMessage partial = new PhoenixMessage(j, r, topic.asText(), "", null);
        if (event == null || !event.isTextual() || event.asText().isEmpty()) {
            throw new BadFrame("event must be a string", partial);
        }
        if (payload != null && !payload.isNull() && !payload.isObject()) {
            throw new BadFrame("payload must be an object", partial);
        }
        return new PhoenixMessage(j, r, topic.asText(), event.asText(), payload);
    }

    /** Refs are strings; a number is taken as its text, anything else as no ref. */
    private static String refOf(JsonNode ref) {
        return ref != null && (ref.isTextual() || ref.isIntegralNumber()) ? ref.asText() : null;
    }

    private static String utf8(byte[] bytes, int offset, int length) throws BadFrame {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new BadFrame("invalid UTF-8");
        }
    }
}
