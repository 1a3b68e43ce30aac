package dev.turnbridge.config;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The Redis (or Valkey) that {@code signaling.registry: redis} keeps rooms, membership, resume tokens and
 * fan-out in, shared by every node configured with it. YAML section {@code redis:}; read only in that mode.
 *
 * @param uri            {@code redis://host:port[/db]} or {@code rediss://} (TLS); with {@code cluster: true}
 *                       one or more seed nodes, comma separated. A password may be in the URI
 *                       ({@code redis://:pw@host}); it is never printed or logged
 * @param password       the password (AUTH), when not in the URI; empty: none
 * @param cluster        a Redis Cluster: keys of one room share the hash tag {@code {code}}, fan-out uses
 *                       sharded pub/sub on the room's slot
 * @param keyPrefix      put before every key and channel, so several deployments can share one Redis
 * @param presenceLease  a node renews its members' presence every third of this; a node that dies takes its
 *                       members' presence with it after at most this long
 * @param commandTimeout a Redis command not answered within this fails (joins answer {@code unavailable})
 */
public record RedisSettings(
        String uri,
        Secret password,
        boolean cluster,
        String keyPrefix,
        Duration presenceLease,
        Duration commandTimeout) {

    /** The documented defaults. */
    public static RedisSettings defaults() {
        return new RedisSettings("redis://127.0.0.1:6379", new Secret(""), false, "turnbridge:",
                Duration.ofSeconds(15), Duration.ofSeconds(2));
    }

    /** The URIs of {@link #uri()}, one per seed node. */
    public List<String> uris() {
        return Arrays.stream(uri.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
    }

    /** {@code u} with any user info (a password) replaced, for messages and printed settings. */
    public static String redacted(String u) {
        try {
            URI parsed = URI.create(u.trim());
            if (parsed.getRawUserInfo() == null) {
                return u.trim();
            }
            return u.trim().replace(parsed.getRawUserInfo() + "@", "<redacted>@");
        } catch (IllegalArgumentException e) {
            return u.contains("@") ? "<redacted>" : u.trim();
        }
    }
}
