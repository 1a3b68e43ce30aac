package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.core.JacksonException;
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
                return token == null || token.isEmpty()
                        ? bad("resume needs a token", ref)
                        : ok(new ClientMessage.Resume(ref, token));
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
                return ok(new ClientMessage.Signal(ref, to == null || to.isNull() ? null : to.textValue(), payload));
            }
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
        ObjectNode metaObject = meta == null || meta.isNull() ? Json.object() : (ObjectNode) meta;
        return ok(new ClientMessage.Join(ref, room, metaObject, self, ack));
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    private static Decoded ok(ClientMessage message) {
        return new Decoded.Ok(message);
    }

    private static Decoded bad(String message, JsonNode ref) {
        return new Decoded.Bad(ErrorCode.BAD_MESSAGE, message, ref);
    }
}
