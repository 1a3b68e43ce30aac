package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.room.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Messages the server sends (protocol v1), encoded to text. */
public final class ServerMessages {

    public static final int VERSION = 1;

    private ServerMessages() {
    }

    /** Answer to join and resume. */
    public static String joined(JsonNode ref, String room, Instant roomExpiresAt, String peerId, String token,
                                List<Member> members, IceServers ice, Duration heartbeatInterval, boolean resumed) {
        ObjectNode m = typed("joined", ref);
        m.put("v", VERSION);
        m.put("room", room);
        m.put("roomExpiresAt", roomExpiresAt.toString());
        m.put("peerId", peerId);
        m.put("token", token);
        m.put("resumed", resumed);
        m.put("heartbeatInterval", heartbeatInterval.toMillis());
        m.set("presence", presence(members));
        ice.toEnvelope(m);
        return Json.write(m);
    }

    /** The whole presence state: {@code {peerId: meta, ...}}. */
    public static String presenceState(List<Member> members) {
        ObjectNode m = typed("presence_state", null);
        m.set("state", presence(members));
        return Json.write(m);
    }

    /** Presence changes: {@code joins} and {@code leaves}, each {@code {peerId: meta}}. */
    public static String presenceDiff(List<Member> joins, List<Member> leaves) {
        ObjectNode m = typed("presence_diff", null);
        m.set("joins", presence(joins));
        m.set("leaves", presence(leaves));
        return Json.write(m);
    }

    public static String signal(String from, String to, JsonNode payload) {
        ObjectNode m = typed("signal", null);
        m.put("from", from);
        if (to != null) {
            m.put("to", to);
        }
        m.set("payload", payload);
        return Json.write(m);
    }

    public static String ack(JsonNode ref) {
        return Json.write(typed("ack", ref));
    }

    public static String left(JsonNode ref, String room) {
        ObjectNode m = typed("left", ref);
        m.put("room", room);
        return Json.write(m);
    }

    public static String heartbeat(JsonNode ref) {
        return Json.write(typed("heartbeat", ref));
    }

    /** Fresh TURN credentials, pushed before the previous ones expire. */
    public static String credentials(IceServers ice) {
        return Json.write(ice.toEnvelope(typed("credentials", null)));
    }

    public static String error(ErrorCode code, String message, JsonNode ref) {
        return Json.write(errorNode(code, message, ref));
    }

    public static ObjectNode errorNode(ErrorCode code, String message, JsonNode ref) {
        ObjectNode m = Json.object();
        m.put("type", "error");
        m.put("code", code.wire());
        m.put("message", message == null ? code.defaultMessage() : message);
        m.set("ref", ref);
        return m;
    }

    private static ObjectNode typed(String type, JsonNode ref) {
        ObjectNode m = Json.object();
        m.put("type", type);
        if (ref != null) {
            m.set("ref", ref);
        }
        return m;
    }

    private static ObjectNode presence(List<Member> members) {
        ObjectNode state = Json.object();
        for (Member member : members) {
            state.set(member.peerId(), member.meta());
        }
        return state;
    }
}
