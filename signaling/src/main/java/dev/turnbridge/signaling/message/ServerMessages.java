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
                                List<Member> members, IceServers ice, Duration heartbeatInterval, boolean resumed,
                                Delivery delivery) {
        ObjectNode m = typed("joined", ref);
        m.put("v", VERSION);
        m.put("room", room);
        m.put("roomExpiresAt", roomExpiresAt.toString());
        m.put("peerId", peerId);
        m.put("token", token);
        m.put("resumed", resumed);
        m.put("heartbeatInterval", heartbeatInterval.toMillis());
        m.set("presence", presence(members));
        if (delivery != null) {
            m.put("received", delivery.received());
            m.put("replay", delivery.replay());
            m.put("rate", delivery.rate());
            m.put("burst", delivery.burst());
        }
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
    public static String presenceDiff(List<Member> joins, List<Member> leaves, long seq) {
        ObjectNode m = typed("presence_diff", null);
        sequenced(m, seq);
        m.set("joins", presence(joins));
        m.set("leaves", presence(leaves));
        return Json.write(m);
    }

    /** {@code at}: its position in the recipient's inbox (with other nodes), or null. */
    public static String signal(String from, String to, JsonNode payload, long seq, String at) {
        ObjectNode m = typed("signal", null);
        sequenced(m, seq);
        m.put("from", from);
        if (to != null) {
            m.put("to", to);
        }
        if (at != null) {
            m.put("at", at);
        }
        m.set("payload", payload);
        return Json.write(m);
    }

    /** {@code received}: the client's highest sequence number the server has accepted (0: none), or -1. */
    public static String ack(JsonNode ref, long received) {
        ObjectNode m = typed("ack", ref);
        if (received >= 0) {
            m.put("received", received);
        }
        return Json.write(m);
    }

    public static String left(JsonNode ref, String room) {
        ObjectNode m = typed("left", ref);
        m.put("room", room);
        return Json.write(m);
    }

    public static String heartbeat(JsonNode ref, long received) {
        ObjectNode m = typed("heartbeat", ref);
        if (received >= 0) {
            m.put("received", received);
        }
        return Json.write(m);
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

    /**
     * What a sequenced client needs in {@code joined}: the last of its signals the server accepted, how many
     * sequenced messages follow as a replay, and the message rate to pace itself to.
     */
    public record Delivery(long received, int replay, double rate, int burst) {
    }

    private static void sequenced(ObjectNode m, long seq) {
        if (seq > 0) {
            m.put("seq", seq);
        }
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
