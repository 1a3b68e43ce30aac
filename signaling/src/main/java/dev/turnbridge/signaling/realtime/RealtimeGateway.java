package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.config.SupabaseSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AuthResult;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.limit.AddressRateLimiter;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomCode;
import dev.turnbridge.signaling.room.RoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Supabase Realtime front-end's shared part: which {@code apikey}s open a socket, how a topic
 * {@code realtime:room:<name>} finds our room {@code <name>} (or creates one, where {@code implicit-rooms} allows),
 * and the REST endpoints (broadcast, ICE servers). Sockets ({@link RealtimeSocket}) drive the one
 * {@link SignalingHub} underneath, so their members share rooms with {@code signaling.js} members.
 */
public final class RealtimeGateway {

    /** Supabase's answer to a wrong {@code apikey}. */
    public static final String INVALID_API_KEY = "Invalid API key";
    /** Topics of rooms: {@code supabase.channel('room:<name>')}. */
    static final String ROOM_PREFIX = "room:";
    /** Longest room name in a topic (realtime-js caps a topic at 255 bytes in binary frames). */
    static final int MAX_NAME = 200;
    /** Broadcasts one REST request may carry. */
    static final int MAX_REST_MESSAGES = 16;

    private final SupabaseSettings supabase;
    private final SignalingSettings signaling;
    private final SignalingHub hub;
    private final RoomRegistry rooms;
    private final Clock clock;
    private final AddressRateLimiter restRate;
    /** Room names that are not room codes, for implicit rooms: name -> code. Guarded by itself. */
    private final Map<String, String> aliases = new HashMap<>();

    public RealtimeGateway(SignalingSettings signaling, SignalingHub hub, RoomRegistry rooms, Clock clock) {
        this.supabase = signaling.supabase();
        this.signaling = signaling;
        this.hub = hub;
        this.rooms = rooms;
        this.clock = clock;
        this.restRate = AddressRateLimiter.create(clock, signaling.messageRate(), signaling.messageBurst());
    }

    public boolean enabled() {
        return supabase.enabled();
    }

    public SupabaseSettings settings() {
        return supabase;
    }

    SignalingSettings signaling() {
        return signaling;
    }

    public SignalingHub hub() {
        return hub;
    }

    Clock clock() {
        return clock;
    }

    public AccessControl access() {
        return hub.access();
    }

    /** True for one of the configured anon keys or the backend's API key (compared in constant time). */
    public boolean isApiKey(String apikey) {
        if (apikey == null) {
            return false;
        }
        byte[] presented = apikey.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (Secret key : supabase.anonKeys()) {
            match |= MessageDigest.isEqual(presented, key.bytes());
        }
        return match || hub.access().isApiKey(apikey);
    }

    /**
     * The bearer to verify for a user: a user's JWT, or null when the client sent none or only the anon key
     * (supabase-js sends the anon key as {@code access_token} when nobody is signed in).
     */
    public String userToken(String token) {
        return token == null || token.isEmpty() || isApiKey(token) && !hub.access().isApiKey(token) ? null : token;
    }

    /** A new socket of {@code vsn} writing to {@code sink}. */
    public RealtimeSocket open(SocketSink sink, Vsn vsn, String hostHeader, InetAddress remote) {
        return new RealtimeSocket(this, sink, vsn, hostHeader, remote);
    }

    /** What a room topic resolves to: a room code, or the reason shown to the client. */
    record Target(String code, String refusal) {
    }

    /**
     * The room of {@code name} (the part after {@code room:}): a live room of that code, else with implicit rooms
     * the room earlier joins of that name created, else a new one (private to its creator when the channel is).
     */
    Target resolve(String name, Identity identity, boolean privateChannel) {
        Instant now = clock.instant();
        Optional<String> code = RoomCode.normalize(name);
        if (code.isPresent() && rooms.find(code.get()).filter(r -> !r.isExpired(now)).isPresent()) {
            return new Target(code.get(), null);
        }
        if (!supabase.implicitRooms()) {
            return new Target(null, "RoomNotFound: no live room " + name
                    + " (rooms are created with POST /api/rooms; their code is the topic's name)");
        }
        synchronized (aliases) {
            String alias = aliases.get(name);
            if (alias != null && rooms.find(alias).filter(r -> !r.isExpired(now)).isPresent()) {
                return new Target(alias, null);
            }
            aliases.remove(name);
            if (identity == null || !hub.access().mayCreateRooms(identity)) {
                return new Target(null, "Unauthorized: sign in to create room " + name);
            }
            if (aliases.size() >= signaling.maxRooms()) {
                aliases.values().removeIf(c -> rooms.find(c).isEmpty());
            }
            CreateResult created = rooms.create(signaling.roomCapacityDefault(), signaling.roomTtlDefault(), now,
                    identity.subject(), privateChannel && identity.subject() != null ? Room.Visibility.PRIVATE
                            : Room.Visibility.PUBLIC, signaling.roomsPerUser());
            if (created instanceof CreateResult.Created c) {
                aliases.put(name, c.room().code());
                return new Target(c.room().code(), null);
            }
            return new Target(null, created instanceof CreateResult.CreatorLimit limit
                    ? "ChannelRateLimitReached: you hold " + limit.limit() + " rooms already"
                    : "ChannelRateLimitReached: the server holds as many rooms as it may");
        }
    }

    /** The room name of a sub-topic {@code room:<name>}, or null when it is not a room topic. */
    static String roomName(String subTopic) {
        if (subTopic == null || !subTopic.startsWith(ROOM_PREFIX)) {
            return null;
        }
        String name = subTopic.substring(ROOM_PREFIX.length());
        return name.isEmpty() || name.length() > MAX_NAME ? null : name;
    }

    /** A live room of an existing name (never creates one): the REST endpoints act on rooms that exist. */
    private Optional<String> existing(String name) {
        Instant now = clock.instant();
        Optional<String> code = RoomCode.normalize(name);
        if (code.isPresent() && rooms.find(code.get()).filter(r -> !r.isExpired(now)).isPresent()) {
            return code;
        }
        synchronized (aliases) {
            return Optional.ofNullable(aliases.get(name)).filter(c -> rooms.find(c).isPresent());
        }
    }

    /**
     * {@code POST /realtime/v1/api/broadcast} ({@code channel.send} before the channel is joined):
     * {@code {messages: [{topic: "room:<name>", event, payload, private}]}}, 202 when every message was delivered.
     * {@code auth} is the verified {@code Authorization} bearer, or null when it carried none.
     */
    public RestAnswer broadcast(String apikey, AuthResult auth, String body, InetAddress client) {
        RestAnswer refused = admit(apikey, auth, client);
        if (refused != null) {
            return refused;
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return RestAnswer.error(400, "malformed JSON");
        }
        JsonNode messages = root == null ? null : root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty() || messages.size() > MAX_REST_MESSAGES) {
            return RestAnswer.error(400, "messages must be an array of 1 to " + MAX_REST_MESSAGES + " broadcasts");
        }
        for (JsonNode m : messages) {
            JsonNode topic = m.get("topic");
            JsonNode event = m.get("event");
            if (topic == null || !topic.isTextual() || event == null || !event.isTextual()) {
                return RestAnswer.error(400, "each message needs topic room:<name> and an event");
            }
            RestAnswer failed = deliver(topic.asText(), event.asText(),
                    m.has("payload") ? m.get("payload") : Json.object(), identity(auth));
            if (failed != null) {
                return failed;
            }
        }
        return new RestAnswer(202, Json.object());
    }

    /**
     * {@code POST /realtime/v1/api/broadcast/<sub-topic>/events/<event>} ({@code channel.httpSend}): the body is
     * the payload, 202 when delivered.
     */
    public RestAnswer broadcastOne(String apikey, AuthResult auth, String subTopic, String event, String body,
                                   InetAddress client) {
        RestAnswer refused = admit(apikey, auth, client);
        if (refused != null) {
            return refused;
        }
        JsonNode payload;
        try {
            payload = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return RestAnswer.error(400, "the payload must be JSON (binary payloads are not supported)");
        }
        RestAnswer failed = deliver(subTopic, event, payload == null ? Json.object() : payload, identity(auth));
        return failed != null ? failed : new RestAnswer(202, Json.object());
    }

    /** Null when the key, the rate and the user's token let the request in; else the answer. */
    private RestAnswer admit(String apikey, AuthResult auth, InetAddress client) {
        if (!isApiKey(apikey)) {
            return RestAnswer.INVALID_API_KEY;
        }
        if (client != null && !restRate.tryAcquire(client)) {
            return RestAnswer.error(429, "RateLimitReached: too many broadcasts");
        }
        if (identity(auth) == null) {
            return RestAnswer.error(401, auth == null ? "Unauthorized: a user's JWT is required"
                    : auth.refusal() == dev.turnbridge.signaling.access.Refusal.EXPIRED
                            ? "InvalidJWTToken: Token has expired" : "InvalidJWTToken: " + auth.message());
        }
        return null;
    }

    /** One broadcast into a live room; null when delivered, else the answer. */
    private RestAnswer deliver(String subTopic, String event, JsonNode payload, Identity identity) {
        String name = roomName(subTopic);
        if (name == null || event.isEmpty()) {
            return RestAnswer.error(400, "topic must be room:<name> and event not empty");
        }
        ObjectNode signal = Json.object();
        signal.put("event", event);
        signal.set("payload", payload);
        Optional<String> code = existing(name);
        if (code.isEmpty()) {
            return RestAnswer.error(404, "RoomNotFound: " + name);
        }
        if (!hub.publish(code.get(), signal, identity)) {
            return RestAnswer.error(403, "Unauthorized: You do not have permissions to write to this Channel topic: "
                    + subTopic);
        }
        return null;
    }

    /**
     * {@code GET /realtime/v1/ice-servers?topic=room:<name>}: {@code {iceServers, ttl, expiresAt}} for the signed-in
     * user, who must be a member of that room (joined on a channel).
     */
    public RestAnswer iceServers(String apikey, AuthResult auth, String topic, String hostHeader) {
        if (!isApiKey(apikey)) {
            return RestAnswer.INVALID_API_KEY;
        }
        Identity identity = identity(auth);
        if (identity == null || identity.subject() == null) {
            return RestAnswer.error(401, auth == null || auth.isOk() ? "Unauthorized: a user's JWT is required"
                    : "InvalidJWTToken: " + auth.message());
        }
        String name = roomName(topic);
        Optional<String> code = name == null ? Optional.empty() : existing(name);
        if (code.isEmpty()) {
            return RestAnswer.error(404, "RoomNotFound: " + topic);
        }
        Outcome<IceServers> ice = hub.iceServersForUser(code.get(), identity.subject(), hostHeader);
        if (!ice.isOk()) {
            return RestAnswer.error(ice.error().httpStatus(), "Unauthorized: " + ice.message());
        }
        return new RestAnswer(200, ice.value().toEnvelope(Json.object()));
    }

    private Identity identity(AuthResult auth) {
        if (auth == null) {
            return hub.access().mode() == dev.turnbridge.signaling.access.AccessMode.OPEN ? Identity.anonymous() : null;
        }
        return auth.isOk() && auth.identity().isValidAt(clock.instant()) ? auth.identity() : null;
    }
}
