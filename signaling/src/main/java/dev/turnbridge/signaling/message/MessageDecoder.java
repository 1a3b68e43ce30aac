package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.turnbridge.signaling.room.LogPosition;
import java.io.IOException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Text -> {@link ClientMessage}. Every malformed input ends here as a {@link Decoded.Bad}, never an exception. */
public final class MessageDecoder {

    private MessageDecoder() {
    }

    public static Decoded decode(String text) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            return bad("not JSON", null);
        }
        if (root == null || !root.isObject()) {
            return bad("expected a JSON object", null);
        }
        JsonNode ref = root.get("ref");
        if (ref != null && !ref.isTextual() && !ref.isIntegralNumber() && !ref.isNull()) {
            return bad("ref must be a string or an integer", null);
        }
        if (ref == null || ref.isNull()) {
            ref = null;
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual()) {
            return bad("missing type", ref);
        }
        switch (type.textValue()) {
            case "join":
                return join(root, ref);
            case "resume": {
                String token = text(root, "token");
                if (token == null || token.isEmpty()) {
                    return bad("resume needs a token", ref);
                }
                JsonNode seq = root.get("seq");
                if (seq != null && !isSeq(seq, true)) {
                    return bad("seq must be an integer >= 0", ref);
                }
                JsonNode at = root.get("at");
                if (at != null && !at.isNull() && (!at.isTextual() || LogPosition.parse(at.textValue()).isEmpty())) {
                    return bad("at must be a position from a signal's at", ref);
                }
                return ok(new ClientMessage.Resume(ref, token, seq == null ? null : seq.longValue(),
                        at == null || at.isNull() ? null : at.textValue()));
            }
            case "signal": {
                JsonNode to = root.get("to");
                if (to != null && !to.isNull() && !to.isTextual()) {
                    return bad("to must be a peer id", ref);
                }
                JsonNode payload = root.get("payload");
                if (payload == null) {
                    return bad("signal needs a payload", ref);
                }
                JsonNode seq = root.get("seq");
                if (seq != null && !isSeq(seq, false)) {
                    return bad("seq must be an integer >= 1", ref);
                }
                return ok(new ClientMessage.Signal(ref, to == null || to.isNull() ? null : to.textValue(), payload,
                        seq == null ? null : seq.longValue()));
            }
            case "ack": {
                JsonNode seq = root.get("seq");
                return seq == null || !isSeq(seq, true)
                        ? bad("ack needs a seq (an integer >= 0)", ref)
                        : ok(new ClientMessage.Ack(ref, seq.longValue()));
            }
            case "call_report":
                return CallReportDecoder.decode(root, ref);
            case "leave":
                return ok(new ClientMessage.Leave(ref));
            case "heartbeat":
                return ok(new ClientMessage.Heartbeat(ref));
            default:
                return bad("unknown type", ref);
        }
    }

    private static Decoded join(JsonNode root, JsonNode ref) {
        String room = text(root, "room");
        if (room == null) {
            return bad("join needs a room", ref);
        }
        JsonNode meta = root.get("meta");
        if (meta != null && !meta.isNull() && !meta.isObject()) {
            return bad("meta must be an object", ref);
        }
        JsonNode config = root.get("config");
        if (config != null && !config.isNull() && !config.isObject()) {
            return bad("config must be an object", ref);
        }
        boolean self = config != null && config.path("self").asBoolean(false);
        boolean ack = config != null && config.path("ack").asBoolean(false);
        boolean seq = config != null && config.path("seq").asBoolean(false);
        JsonNode token = root.get("token");
        if (token != null && !token.isNull() && !token.isTextual()) {
            return bad("token must be a string", ref);
        }
        ObjectNode metaObject = meta == null || meta.isNull() ? Json.object() : (ObjectNode) meta;
        return ok(new ClientMessage.Join(ref, room, metaObject, self, ack, seq,
                token == null || token.isNull() ? null : token.textValue()));
    }

    /** A sequence number: an integer that fits a long, at least 1 (or 0 where "nothing yet" is allowed). */
    private static boolean isSeq(JsonNode n, boolean zeroAllowed) {
        return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= (zeroAllowed ? 0 : 1);
    }

    /**
     * The {@code ref} of a message that will not be decoded (over the size or rate limit), so the error can
     * name it: read with the streaming parser, top level only, stopping at the first {@code ref}. Null when the
     * text is not a JSON object, has no usable ref, or the parser gives up.
     */
    public static JsonNode refOf(String text) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("ref".equals(name)) {
                    if (value == JsonToken.VALUE_STRING) {
                        return TextNode.valueOf(p.getText());
                    }
                    if (value == JsonToken.VALUE_NUMBER_INT) {
                        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                                ? null : LongNode.valueOf(p.getLongValue());
                    }
                    return null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    static Decoded ok(ClientMessage message) {
        return new Decoded.Ok(message);
    }

    static Decoded bad(String message, JsonNode ref) {
        return new Decoded.Bad(ErrorCode.BAD_MESSAGE, message, ref);
    }
}
