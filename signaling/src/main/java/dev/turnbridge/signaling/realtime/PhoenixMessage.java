package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.Json;

/**
 * One Phoenix channels message, whichever serializer carried it: {@code [join_ref, ref, topic, event, payload]}.
 * Refs are the client's strings (null when absent); a server push carries neither.
 *
 * @param joinRef the ref of the join this message belongs to, or null
 * @param ref     the client's ref, echoed in the {@code phx_reply}, or null
 * @param topic   {@code realtime:<sub-topic>}, or {@code phoenix} for heartbeats
 * @param event   {@code phx_join}, {@code broadcast}, {@code presence}, ...
 * @param payload an object (never null)
 */
public record PhoenixMessage(String joinRef, String ref, String topic, String event, JsonNode payload) {

    public static final String PHX_JOIN = "phx_join";
    public static final String PHX_LEAVE = "phx_leave";
    public static final String PHX_REPLY = "phx_reply";
    public static final String PHX_CLOSE = "phx_close";
    public static final String PHX_ERROR = "phx_error";
    public static final String HEARTBEAT = "heartbeat";
    public static final String ACCESS_TOKEN = "access_token";
    public static final String BROADCAST = "broadcast";
    public static final String PRESENCE = "presence";
    public static final String PRESENCE_STATE = "presence_state";
    public static final String PRESENCE_DIFF = "presence_diff";
    public static final String SYSTEM = "system";
    /** The topic of heartbeats. */
    public static final String PHOENIX = "phoenix";

    public PhoenixMessage {
        payload = payload == null || payload.isNull() ? Json.object() : payload;
    }

    /** {@code phx_reply} to this message: {@code {status: "ok", response}}. */
    public PhoenixMessage ok(JsonNode response) {
        return reply("ok", response);
    }

    /** {@code phx_reply} to this message: {@code {status: "error", response: {reason}}}, shown by the client. */
    public PhoenixMessage error(String reason) {
        ObjectNode response = Json.object();
        response.put("reason", reason);
        return reply("error", response);
    }

    private PhoenixMessage reply(String status, JsonNode response) {
        ObjectNode p = Json.object();
        p.put("status", status);
        p.set("response", response == null ? Json.object() : response);
        return new PhoenixMessage(joinRef, ref, topic, PHX_REPLY, p);
    }

    /** A server push on {@code topic} (no ref). */
    public static PhoenixMessage push(String joinRef, String topic, String event, JsonNode payload) {
        return new PhoenixMessage(joinRef, null, topic, event, payload);
    }

    /** A broadcast as the client receives it: {@code {type: "broadcast", event, payload}}. */
    public static PhoenixMessage broadcast(String topic, String event, JsonNode payload) {
        ObjectNode p = Json.object();
        p.put("type", BROADCAST);
        p.put("event", event);
        p.set("payload", payload);
        return push(null, topic, BROADCAST, p);
    }
}
