package dev.turnbridge.config;

import java.time.Duration;
import java.util.List;

/**
 * WebRTC signaling (HTTP API + WebSocket) served beside the relay. YAML section {@code signaling:}, keys in
 * kebab-case ({@code room-capacity-default}, ...).
 *
 * @param listen              HTTP/WebSocket listen addresses
 * @param tlsListen           HTTPS/WSS listen addresses, with the certificate of {@code tls:}; an address that is also
 *                            in {@code listeners.tls} is one port serving both TURN and HTTPS, told apart per
 *                            connection by ALPN or, without ALPN, by the first bytes
 * @param roomCapacityDefault members a room admits when the creator does not ask for a capacity
 * @param roomCapacityMax     largest capacity a creator may ask for
 * @param roomTtlDefault      room lifetime when the creator does not ask for one
 * @param roomTtlMax          longest room lifetime a creator may ask for
 * @param maxRooms            live rooms on this server; creation beyond is refused (rate_limited)
 * @param maxMessageSize      largest WebSocket message or HTTP body in bytes; larger ones get {@code too_large}
 * @param messageRate         token-bucket refill per connection, messages per second
 * @param messageBurst        token-bucket size per connection
 * @param connectionsPerIp    concurrent TCP connections (HTTP and WebSocket) from one client IP
 * @param allowedOrigins      browser Origins allowed for the WebSocket and the HTTP API; empty means same-origin
 *                            only (Origin authority equals the Host header), {@code *} allows any
 * @param idleTimeout         an HTTP connection with no traffic, or a WebSocket outside any room, is closed after this
 * @param heartbeatInterval   how often clients are told to send a heartbeat
 * @param heartbeatTimeout    a WebSocket with no inbound message for this long is dropped (the peer keeps its
 *                            membership for {@code resumeGrace})
 * @param resumeGrace         how long a dropped peer keeps its id and membership for a resume
 * @param turnCredentialTtl   lifetime of the TURN credentials handed to room members; fresh ones are pushed
 *                            over the socket before they expire
 * @param turnUris            STUN/TURN URIs handed to clients; empty derives them from the relay's bound
 *                            listeners: {@code stun:H:U}, {@code turn:H:U?transport=udp},
 *                            {@code turn:H:T?transport=tcp} and {@code turns:N:S?transport=tcp}
 * @param turnsHost           the name N in derived {@code turns:} URIs, which the TLS certificate must match;
 *                            empty takes the first DNS name of {@code tls.cert-file}, else (self-signed) H
 * @param apiKey              key for the server-to-server endpoint {@code GET /api/turn}; empty disables it
 * @param roomCreationRate    rooms one client IP may create per second ({@code POST /api/rooms}; 429
 *                            rate_limited beyond); 0 switches the limit off. The validator checks that one address
 *                            cannot fill {@code maxRooms} with rooms of {@code roomTtlMax}
 * @param roomCreationBurst   rooms one client IP may create at once before the rate applies
 * @param trustedProxies      CIDRs of reverse proxies whose {@code X-Forwarded-For} / {@code Forwarded} header
 *                            names the client (right-most untrusted hop); every per-address limit uses it
 * @param requestTimeout      an HTTP connection must deliver a complete request (head and body) this long after
 *                            it opened or after the previous response, or it is closed (slowloris)
 * @param roomLookupRate      room lookups ({@code GET /api/rooms/{code}}) one client IP may make per second
 *                            (429 rate_limited beyond); 0 switches the limit off
 * @param roomLookupBurst     room lookups one client IP may make at once before the rate applies
 * @param access              who may create and join rooms: {@code jwt} (a bearer JWT from the app's identity
 *                            provider), {@code api-key} (the app's backend creates rooms and mints join tokens)
 *                            or {@code open} (anyone; development only)
 * @param jwt                 how {@code jwt} mode verifies tokens
 * @param roomsPerUser        live rooms one creator ({@code sub}) may hold at once (429 rate_limited beyond)
 * @param joinTokenTtl        lifetime of the join tokens {@code POST /api/rooms/{code}/tokens} mints
 * @param supabase            the Supabase Realtime protocol front-end ({@code /realtime/v1/websocket})
 * @param registry            where rooms, membership and resume tokens live: {@code memory} (this process only,
 *                            the default) or {@code redis} (shared by every node using the same {@code redis:})
 */
public record SignalingSettings(
        List<HostPort> listen,
        List<HostPort> tlsListen,
        int roomCapacityDefault,
        int roomCapacityMax,
        Duration roomTtlDefault,
        Duration roomTtlMax,
        int maxRooms,
        int maxMessageSize,
        double messageRate,
        int messageBurst,
        int connectionsPerIp,
        List<String> allowedOrigins,
        Duration idleTimeout,
        Duration heartbeatInterval,
        Duration heartbeatTimeout,
        Duration resumeGrace,
        Duration turnCredentialTtl,
        List<String> turnUris,
        String turnsHost,
        Secret apiKey,
        double roomCreationRate,
        int roomCreationBurst,
        List<String> trustedProxies,
        Duration requestTimeout,
        double roomLookupRate,
        int roomLookupBurst,
        String access,
        JwtSettings jwt,
        int roomsPerUser,
        Duration joinTokenTtl,
        SupabaseSettings supabase,
        String registry) {

    /** The values of {@code signaling.access}. */
    public static final String ACCESS_JWT = "jwt";
    public static final String ACCESS_API_KEY = "api-key";
    public static final String ACCESS_OPEN = "open";

    /** The values of {@code signaling.registry}. */
    public static final String REGISTRY_MEMORY = "memory";
    public static final String REGISTRY_REDIS = "redis";

    /** Room codes are always this long (an unambiguous 31-letter alphabet: about 40 bits). */
    public static final int ROOM_CODE_LENGTH = 8;

    public SignalingSettings {
        listen = List.copyOf(listen);
        tlsListen = List.copyOf(tlsListen);
        allowedOrigins = List.copyOf(allowedOrigins);
        turnUris = List.copyOf(turnUris);
        trustedProxies = List.copyOf(trustedProxies);
    }

    /** The documented defaults. */
    public static SignalingSettings defaults() {
        return new SignalingSettings(
                List.of(new HostPort("0.0.0.0", 8080)),
                List.of(),
                2,
                16,
                Duration.ofHours(2),
                Duration.ofHours(24),
                10_000,
                64 * 1024,
                20.0,
                40,
                32,
                List.of(),
                Duration.ofSeconds(60),
                Duration.ofSeconds(25),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                Duration.ofHours(1),
                List.of(),
                "",
                new Secret(""),
                0.1,
                20,
                List.of(),
                Duration.ofSeconds(10),
                5.0,
                20,
                ACCESS_JWT,
                JwtSettings.defaults(),
                10,
                Duration.ofMinutes(10),
                SupabaseSettings.defaults(),
                REGISTRY_MEMORY);
    }
}
