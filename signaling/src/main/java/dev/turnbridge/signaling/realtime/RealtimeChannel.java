package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.session.CloseCodes;
import dev.turnbridge.signaling.session.Connection;
import dev.turnbridge.signaling.session.PeerLink;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One joined topic of a Realtime socket: to the hub it is a connection like any other ({@link PeerLink}); what
 * the hub says in our protocol is said here in Phoenix's: {@code joined} becomes the join's {@code phx_reply},
 * {@code presence_state}/{@code presence_diff} take Supabase's shape, {@code signal} becomes {@code broadcast},
 * {@code ack} a {@code phx_reply}, {@code credentials} a {@code turn-credentials} broadcast.
 *
 * <p>Presence in Supabase's shape: {@code {<key>: {metas: [{phx_ref, ...payload}]}}}. A Supabase member is in it
 * once it tracked (its hub meta says so under {@value #MARK}); a {@code signaling.js} member always is, under
 * its peer id. This channel remembers what it has shown, so an update or a leave removes exactly that meta.
 */
final class RealtimeChannel implements PeerLink {

    /** The hub meta's field that carries the Supabase presence key and whether the member tracked. */
    static final String MARK = "realtime";
    /** The broadcast event that carries fresh ICE servers to a member. */
    static final String TURN_CREDENTIALS = "turn-credentials";

    final String topic;
    final String joinRef;
    final String subTopic;
    private final RealtimeSocket socket;
    /** Set before the join reaches the hub; guarded by the socket's thread. */
    Connection connection;
    /** When the user's token stops being valid (null: never, as in open mode). */
    volatile Instant validUntil;
    volatile String subject;
    /** {@code config.presence.key} of the join; empty: the member's peer id. */
    volatile String presenceKey = "";
    private volatile boolean joined;
    private volatile boolean ended;
    /** What this client has been shown: peer id -> (key, meta). Guarded by this. */
    private final Map<String, Shown> shown = new HashMap<>();

    private record Shown(String key, ObjectNode meta) {
    }

    RealtimeChannel(RealtimeSocket socket, String topic, String joinRef) {
        this.socket = socket;
        this.topic = topic;
        this.joinRef = joinRef;
        this.subTopic = topic.substring(RealtimeSocket.TOPIC_PREFIX.length());
    }

    boolean joined() {
        return joined && !ended;
    }

    /** No more messages for this client on this topic (closed, refused or left). */
    void end() {
        ended = true;
    }

    @Override
    public synchronized void send(String text) {
        if (ended) {
            return;
        }
        JsonNode m;
        try {
            m = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalStateException("the hub writes JSON", e);
        }
        String ref = m.hasNonNull("ref") ? m.get("ref").asText() : null;
        switch (m.path("type").asText()) {
            case "joined" -> {
                joined = true;
                out(new PhoenixMessage(joinRef, joinRef, topic, PhoenixMessage.PHX_REPLY, Json.object()).ok(null));
                out(PhoenixMessage.broadcast(topic, TURN_CREDENTIALS, envelope(m)));
            }
            case "presence_state" -> presenceState(m.path("state"));
            case "presence_diff" -> presenceDiff(m.path("joins"), m.path("leaves"));
            case "signal" -> signal(m.get("payload"));
            case "ack", "left" -> out(new PhoenixMessage(joinRef, ref, topic, "", null).ok(null));
            case "credentials" -> out(PhoenixMessage.broadcast(topic, TURN_CREDENTIALS, envelope(m)));
            case "error" -> error(ErrorCode.valueOf(m.path("code").asText().toUpperCase(java.util.Locale.ROOT)),
                    m.path("message").asText(), ref);
            default -> { } // heartbeats are answered by the socket; nothing else reaches a Phoenix client
        }
    }

    @Override
    public void close(int code, String reason) {
        socket.hubClosed(this, code, reason);
    }

    private void error(ErrorCode code, String message, String ref) {
        String reason = reason(code, message);
        if (!joined && joinRef.equals(ref)) {
            ended = true;
            out(new PhoenixMessage(joinRef, joinRef, topic, "", null).error(reason));
            socket.refused(this);
        } else if (ref != null) {
            out(new PhoenixMessage(joinRef, ref, topic, "", null).error(reason));
        } else {
            // The room ended (expired, closed by the operator) or the member was removed: the channel is over.
            system(reason);
            ended = true;
            socket.refused(this);
        }
    }

    /** A {@code system} message (Supabase tells about a channel's end with it) then {@code phx_close}. */
    void system(String reason) {
        ObjectNode p = Json.object();
        p.put("message", reason);
        p.put("status", "error");
        p.put("extension", "system");
        p.put("channel", subTopic);
        out(PhoenixMessage.push(joinRef, topic, PhoenixMessage.SYSTEM, p));
        out(PhoenixMessage.push(joinRef, topic, PhoenixMessage.PHX_CLOSE, Json.object()));
    }

    /** The reason a client shows for a hub error, worded as Supabase's where it has one. */
    String reason(ErrorCode code, String message) {
        return switch (code) {
            case FORBIDDEN -> "Unauthorized: You do not have permissions to read from this Channel topic: " + subTopic;
            case UNAUTHORIZED -> "Unauthorized: " + message;
            case RATE_LIMITED -> "RateLimitReached: " + message;
            case TOO_LARGE -> "PayloadTooLarge: " + message;
            case ROOM_NOT_FOUND -> "RoomNotFound: " + message;
            case ROOM_FULL -> "RoomFull: " + message;
            case ROOM_EXPIRED -> "RoomExpired: " + message;
            case KICKED -> "Kicked: " + message;
            case BAD_MESSAGE -> "BadMessage: " + message;
            case UNAVAILABLE -> "Unavailable: " + message;
        };
    }

    private void signal(JsonNode payload) {
        if (payload != null && payload.isObject() && payload.path("event").isTextual()) {
            out(PhoenixMessage.broadcast(topic, payload.get("event").asText(),
                    payload.has("payload") ? payload.get("payload") : Json.object()));
        } else {
            // From a signaling.js member that did not name an event.
            out(PhoenixMessage.broadcast(topic, "signal", payload == null ? Json.object() : payload));
        }
    }

    private void presenceState(JsonNode state) {
        shown.clear();
        ObjectNode out = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = state.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Shown s = shownOf(e.getKey(), e.getValue());
            if (s != null) {
                shown.put(e.getKey(), s);
                add(out, s);
            }
        }
        out(PhoenixMessage.push(joinRef, topic, PhoenixMessage.PRESENCE_STATE, out));
    }

    private void presenceDiff(JsonNode joins, JsonNode leaves) {
        ObjectNode in = Json.object();
        ObjectNode gone = Json.object();
        for (Iterator<String> it = leaves.fieldNames(); it.hasNext(); ) {
            Shown old = shown.remove(it.next());
            if (old != null) {
                add(gone, old);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = joins.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Shown old = shown.remove(e.getKey());
            if (old != null) {
                add(gone, old);
            }
            Shown now = shownOf(e.getKey(), e.getValue());
            if (now != null) {
                shown.put(e.getKey(), now);
                add(in, now);
            }
        }
        if (!in.isEmpty() || !gone.isEmpty()) {
            ObjectNode p = Json.object();
            p.set("joins", in);
            p.set("leaves", gone);
            out(PhoenixMessage.push(joinRef, topic, PhoenixMessage.PRESENCE_DIFF, p));
        }
    }

    /** How a hub member shows in Supabase presence, or null while a Supabase member has not tracked. */
    private static Shown shownOf(String peerId, JsonNode hubMeta) {
        if (!hubMeta.isObject()) {
            return null;
        }
        ObjectNode meta = ((ObjectNode) hubMeta).deepCopy();
        JsonNode mark = meta.remove(MARK);
        String key = peerId;
        String ref = peerId;
        if (mark != null && mark.isObject()) {
            if (!mark.path("tracked").asBoolean(false)) {
                return null;
            }
            if (!mark.path("key").asText("").isEmpty()) {
                key = mark.path("key").asText();
            }
            ref = mark.path("ref").asText(peerId);
        }
        meta.put("phx_ref", ref);
        return new Shown(key, meta);
    }

    private static void add(ObjectNode presences, Shown s) {
        JsonNode entry = presences.get(s.key());
        ObjectNode e = entry instanceof ObjectNode o ? o : presences.putObject(s.key());
        (e.has("metas") ? (com.fasterxml.jackson.databind.node.ArrayNode) e.get("metas") : e.putArray("metas"))
                .add(s.meta());
    }

    private static ObjectNode envelope(JsonNode m) {
        ObjectNode p = Json.object();
        p.set("iceServers", m.get("iceServers"));
        p.set("ttl", m.get("ttl"));
        p.set("expiresAt", m.get("expiresAt"));
        return p;
    }

    private void out(PhoenixMessage m) {
        socket.send(m);
    }

    /** True when the hub closed this channel for a reason that ends the whole socket (server stopping). */
    static boolean endsSocket(int code) {
        return code == CloseCodes.DRAINING || code == CloseCodes.GOING_AWAY;
    }
}
