package dev.turnbridge.signaling.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.AuthResult;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.ice.IceServers;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.message.Outcome;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomCode;
import dev.turnbridge.signaling.room.RoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
import dev.turnbridge.signaling.limit.AddressRateLimiter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The HTTP API's logic, free of Netty: {@code POST /api/rooms}, {@code GET /api/rooms/{code}},
 * {@code GET /api/rooms/{code}/ice-servers}, {@code POST /api/rooms/{code}/tokens} and the TURN REST API
 * {@code GET /api/turn}. Who may call what is decided by the hub's {@link AccessControl}; the caller's bearer
 * arrives here already verified, as an {@link AuthResult}.
 */
public final class SignalingApi {

    /** Usernames the REST API accepts from callers: the part after {@code <expiry>:}. */
    private static final Pattern REST_USER = Pattern.compile("[A-Za-z0-9._@:+-]{1,128}");

    private final SignalingSettings settings;
    private final AsyncRoomRegistry rooms;
    private final SignalingHub hub;
    private final IceServersIssuer issuer;
    private final Secret turnSecret;
    private final Clock clock;
    private final AddressRateLimiter roomCreation;
    private final AddressRateLimiter roomLookup;
    private final AccessControl access;

    public SignalingApi(SignalingSettings settings, RoomRegistry rooms, SignalingHub hub, IceServersIssuer issuer,
                        Secret turnSecret, Clock clock) {
        this(settings, AsyncRoomRegistry.of(rooms), hub, issuer, turnSecret, clock);
    }

    /** With a registry that may answer later (Redis): the answers below complete when it has. */
    public SignalingApi(SignalingSettings settings, AsyncRoomRegistry rooms, SignalingHub hub,
                        IceServersIssuer issuer, Secret turnSecret, Clock clock) {
        this.settings = settings;
        this.rooms = rooms;
        this.hub = hub;
        this.issuer = issuer;
        this.turnSecret = turnSecret;
        this.clock = clock;
        this.roomCreation = AddressRateLimiter.create(clock, settings.roomCreationRate(),
                settings.roomCreationBurst());
        this.roomLookup = AddressRateLimiter.create(clock, settings.roomLookupRate(), settings.roomLookupBurst());
        this.access = hub.access();
    }

    /** Who may do what (the gate authenticates bearers with it before calling in). */
    public AccessControl access() {
        return access;
    }

    /**
     * {@code POST /api/rooms} from {@code client}: at most {@code room-creation-rate} per address, so that one
     * address cannot take all {@code max-rooms} and lock room creation for everyone until the rooms expire.
     */
    public CompletionStage<ApiResponse> createRoom(String body, InetAddress client, AuthResult auth) {
        if (!auth.isOk()) {
            return now(refuse(ErrorCode.UNAUTHORIZED, auth.message()));
        }
        if (!access.mayCreateRooms(auth.identity())) {
            return now(refuse(ErrorCode.FORBIDDEN, "only the app's backend (the API key) creates rooms here"));
        }
        if (roomCreation != null && client != null && !roomCreation.tryAcquire(client)) {
            return now(refuse(ErrorCode.RATE_LIMITED, "too many rooms created from this address"));
        }
        return createRoom(body, auth.identity());
    }

    private static CompletionStage<ApiResponse> now(ApiResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    /** {@code response}, or {@code unavailable} (503) when the registry could not answer. */
    private CompletionStage<ApiResponse> orUnavailable(CompletionStage<ApiResponse> response) {
        return response.exceptionally(failure -> refuse(ErrorCode.UNAVAILABLE, null));
    }

    /** An error response, counted in the signaling stats like errors sent over the socket. */
    public ApiResponse refuse(ErrorCode code, String message) {
        hub.stats().error(code);
        return ApiResponse.error(code, message);
    }

    /** {@code POST /api/rooms} as anyone may in open mode (tests of the body's checks; in-memory rooms). */
    ApiResponse createRoom(String body) {
        return createRoom(body, Identity.anonymous()).toCompletableFuture().join();
    }

    /**
     * {@code POST /api/rooms} by {@code creator}, with an optional body
     * {@code {"capacity": n, "ttl": seconds, "visibility": "public"|"private", "user": id}}: capacity and ttl are
     * bounded by the settings and by the creator's claims; rooms are private unless asked otherwise (public in
     * open mode, where nobody is checked anyway); {@code user} lets the backend create a room for one of its
     * users (the room's creator, counted against rooms-per-user).
     */
    CompletionStage<ApiResponse> createRoom(String body, Identity creator) {
        int capacityMax = creator.capacityMax() == null ? settings.roomCapacityMax()
                : Math.min(settings.roomCapacityMax(), creator.capacityMax());
        Duration ttlMax = creator.ttlMax() == null || creator.ttlMax().compareTo(settings.roomTtlMax()) > 0
                ? settings.roomTtlMax() : creator.ttlMax();
        int capacity = Math.min(settings.roomCapacityDefault(), capacityMax);
        Duration ttl = settings.roomTtlDefault().compareTo(ttlMax) > 0 ? ttlMax : settings.roomTtlDefault();
        Room.Visibility visibility = access.mode() == AccessMode.OPEN ? Room.Visibility.PUBLIC
                : Room.Visibility.PRIVATE;
        String owner = creator.subject();
        if (body != null && !body.isBlank()) {
            JsonNode request;
            try {
                request = Json.MAPPER.readTree(body);
            } catch (JacksonException e) {
                return now(ApiResponse.error(ErrorCode.BAD_MESSAGE, "body is not JSON"));
            }
            if (request == null || !request.isObject()) {
                return now(ApiResponse.error(ErrorCode.BAD_MESSAGE, "body must be a JSON object"));
            }
            JsonNode c = request.get("capacity");
            if (c != null && !c.isNull()) {
                if (!c.canConvertToInt() || !c.isIntegralNumber()
                        || c.intValue() < 1 || c.intValue() > capacityMax) {
                    return now(ApiResponse.error(ErrorCode.BAD_MESSAGE,
                            "capacity: " + c + " (expected: 1.." + capacityMax + ")"));
                }
                capacity = c.intValue();
            }
            JsonNode v = request.get("visibility");
            if (v != null && !v.isNull()) {
                if (!v.isTextual() || !(v.asText().equals("public") || v.asText().equals("private"))) {
                    return now(ApiResponse.error(ErrorCode.BAD_MESSAGE,
                            "visibility: " + v + " (expected: public or private)"));
                }
                visibility = v.asText().equals("public") ? Room.Visibility.PUBLIC : Room.Visibility.PRIVATE;
            }
            JsonNode u = request.get("user");
            if (u != null && !u.isNull()) {
                if (!creator.backend()) {
                    return now(refuse(ErrorCode.FORBIDDEN, "only the app's backend names a room's user"));
                }
                if (!u.isTextual() || !REST_USER.matcher(u.asText()).matches()) {
                    return now(ApiResponse.error(ErrorCode.BAD_MESSAGE,
                            "user: expected 1-128 of [A-Za-z0-9._@:+-]"));
                }
                owner = u.asText();
            }
            JsonNode t = request.get("ttl");
            if (t != null && !t.isNull()) {
                long max = ttlMax.toSeconds();
                if (!t.isIntegralNumber() || !t.canConvertToLong() || t.longValue() < 1 || t.longValue() > max) {
                    return now(ApiResponse.error(ErrorCode.BAD_MESSAGE,
                            "ttl: " + t + " (expected: 1.." + max + " seconds)"));
                }
                ttl = Duration.ofSeconds(t.longValue());
            }
        }
        Instant now = clock.instant();
        return orUnavailable(rooms.create(capacity, ttl, now, owner, visibility, settings.roomsPerUser())
                .thenApply(created -> {
                    if (created instanceof CreateResult.CreatorLimit limit) {
                        return refuse(ErrorCode.RATE_LIMITED, "this user already holds " + limit.limit()
                                + " live rooms (signaling.rooms-per-user)");
                    }
                    if (!(created instanceof CreateResult.Created ok)) {
                        return refuse(ErrorCode.RATE_LIMITED, "too many rooms on this server");
                    }
                    return ApiResponse.ok(201, describe(ok.room(), now));
                }));
    }

    /** {@code GET /api/rooms/{code}} from {@code client} as anyone may in open mode (tests). */
    ApiResponse room(String code, InetAddress client) {
        return room(code, client, AuthResult.ok(Identity.anonymous())).toCompletableFuture().join();
    }

    /**
     * {@code GET /api/rooms/{code}} from {@code client}: at most {@code room-lookup-rate} per address, so that
     * codes cannot be enumerated; outside open mode only for a caller the room admits. Existence, capacity,
     * member count, expiry, visibility; never who is in it. A room that expired answers 410 for as long as its
     * code stays reserved ({@link RoomRegistry#isRetired}).
     */
    public CompletionStage<ApiResponse> room(String code, InetAddress client, AuthResult auth) {
        if (roomLookup != null && client != null && !roomLookup.tryAcquire(client)) {
            return now(refuse(ErrorCode.RATE_LIMITED, "too many room lookups from this address"));
        }
        if (!auth.isOk()) {
            return now(refuse(ErrorCode.UNAUTHORIZED, auth.message()));
        }
        Optional<String> normalized = RoomCode.normalize(code);
        if (normalized.isEmpty()) {
            return now(ApiResponse.error(ErrorCode.ROOM_NOT_FOUND, null));
        }
        return orUnavailable(rooms.find(normalized.get()).thenCompose(room -> room.isPresent()
                ? now(lookedUp(room, auth))
                : rooms.isRetired(normalized.get()).thenApply(retired -> ApiResponse.error(retired
                        ? ErrorCode.ROOM_EXPIRED : ErrorCode.ROOM_NOT_FOUND, null))));
    }

    private ApiResponse lookedUp(Optional<Room> room, AuthResult auth) {
        Instant now = clock.instant();
        if (room.get().isExpired(now)) {
            return ApiResponse.error(ErrorCode.ROOM_EXPIRED, null);
        }
        if (!access.admits(room.get(), auth.identity())) {
            return refuse(ErrorCode.FORBIDDEN, null);
        }
        return ApiResponse.ok(200, describe(room.get(), now));
    }

    /**
     * {@code POST /api/rooms/{code}/tokens} with {@code Authorization: Bearer <api-key>} and body
     * {@code {"user": id, "ttl": seconds}}: a join token naming this room and that user, valid for at most
     * {@code signaling.join-token-ttl}. Returns {@code {token, room, user, expiresAt, ttl}}.
     */
    public CompletionStage<ApiResponse> mintJoinToken(String code, String body, String authorization) {
        if (!access.isApiKey(bearer(authorization)) || access.joinTokens() == null) {
            return now(refuse(ErrorCode.UNAUTHORIZED, "the API key is required"));
        }
        Optional<String> normalized = RoomCode.normalize(code);
        if (normalized.isEmpty()) {
            return now(ApiResponse.error(ErrorCode.ROOM_NOT_FOUND, null));
        }
        return orUnavailable(rooms.find(normalized.get()).thenApply(room -> mintJoinToken(room, body)));
    }

    private ApiResponse mintJoinToken(Optional<Room> room, String body) {
        if (room.isEmpty()) {
            return ApiResponse.error(ErrorCode.ROOM_NOT_FOUND, null);
        }
        Instant now = clock.instant();
        if (room.get().isExpired(now)) {
            return ApiResponse.error(ErrorCode.ROOM_EXPIRED, null);
        }
        JsonNode request;
        try {
            request = body == null || body.isBlank() ? Json.object() : Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return ApiResponse.error(ErrorCode.BAD_MESSAGE, "body is not JSON");
        }
        if (request == null || !request.isObject()) {
            return ApiResponse.error(ErrorCode.BAD_MESSAGE, "body must be a JSON object");
        }
        JsonNode u = request.get("user");
        if (u == null || !u.isTextual() || !REST_USER.matcher(u.asText()).matches()) {
            return ApiResponse.error(ErrorCode.BAD_MESSAGE, "user: expected 1-128 of [A-Za-z0-9._@:+-]");
        }
        long maxTtl = settings.joinTokenTtl().toSeconds();
        Duration ttl = settings.joinTokenTtl();
        JsonNode t = request.get("ttl");
        if (t != null && !t.isNull()) {
            if (!t.isIntegralNumber() || !t.canConvertToLong() || t.longValue() < 1 || t.longValue() > maxTtl) {
                return ApiResponse.error(ErrorCode.BAD_MESSAGE, "ttl: " + t + " (expected: 1.." + maxTtl + " seconds)");
            }
            ttl = Duration.ofSeconds(t.longValue());
        }
        String token = access.joinTokens().mint(room.get().code(), u.asText(), ttl);
        ObjectNode out = Json.object();
        out.put("token", token);
        out.put("room", room.get().code());
        out.put("user", u.asText());
        out.put("expiresAt", now.plus(ttl).toString());
        out.put("ttl", ttl.toSeconds());
        return ApiResponse.ok(201, out);
    }

    /** {@code GET /api/rooms/{code}/ice-servers} with {@code Authorization: Bearer <member token>}. */
    public ApiResponse iceServers(String code, String authorization, String hostHeader) {
        Outcome<IceServers> ice = hub.iceServers(code, bearer(authorization), hostHeader);
        if (!ice.isOk()) {
            return ApiResponse.error(ice.error(), ice.message());
        }
        return ApiResponse.ok(200, ice.value().toEnvelope(Json.object()));
    }

    /**
     * {@code GET /api/turn?service=turn&username=U&key=K} (draft-uberti-behave-turn-rest §2.1); the key may
     * also come as {@code Authorization: Bearer K}. Returns {@code {username, password, ttl, uris}}.
     */
    public ApiResponse turn(String service, String username, String keyParam, String authorization,
                            String hostHeader) {
        String key = keyParam != null ? keyParam : bearer(authorization);
        if (key == null || !MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8), settings.apiKey().bytes())) {
            return ApiResponse.error(ErrorCode.UNAUTHORIZED, "a valid API key is required");
        }
        if (!"turn".equals(service)) {
            return ApiResponse.error(ErrorCode.BAD_MESSAGE, "service: " + service + " (expected: turn)");
        }
        if (username == null || !REST_USER.matcher(username).matches()) {
            return ApiResponse.error(ErrorCode.BAD_MESSAGE, "username: expected 1-128 of [A-Za-z0-9._@:+-]");
        }
        Instant now = clock.instant();
        RestCredentials.Credential credential = RestCredentials.issue(turnSecret, username, issuer.ttl(), now);
        ObjectNode body = Json.object();
        body.put("username", credential.username());
        body.put("password", credential.password());
        body.put("ttl", IceServersIssuer.wholeSecondsUntil(now, credential.expiresAt()).toSeconds());
        issuer.allUris(hostHeader).forEach(body.putArray("uris")::add);
        return ApiResponse.ok(200, body);
    }

    /** The REST API is off unless an API key is configured. */
    public boolean turnEnabled() {
        return !settings.apiKey().isEmpty();
    }

    private static ObjectNode describe(Room room, Instant now) {
        ObjectNode body = Json.object();
        body.put("code", room.code());
        body.put("capacity", room.capacity());
        body.put("members", room.members().size());
        body.put("expiresAt", room.expiresAt().toString());
        body.put("ttl", Math.max(0, Duration.between(now, room.expiresAt()).toSeconds()));
        body.put("visibility", room.visibility() == Room.Visibility.PUBLIC ? "public" : "private");
        return body;
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    public static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.trim();
        return a.regionMatches(true, 0, "Bearer ", 0, 7) ? a.substring(7).trim() : null;
    }
}
