package dev.turnbridge.signaling.ice;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Issues TURN credentials with the relay's own {@link RestCredentials} (so the relay, and coturn nodes sharing
 * the secret, verify them) and wraps them with the URIs clients should use.
 */
public final class IceServersIssuer {

    private final Secret secret;
    private final Duration ttl;
    private final RelayUris uris;

    public IceServersIssuer(Secret secret, Duration ttl, RelayUris uris) {
        this.secret = secret;
        this.ttl = ttl;
        this.uris = uris;
    }

    /**
     * Credentials for {@code id} (the REST username becomes {@code <expiry>:<id>}), for a client that reached
     * us through {@code hostHeader}.
     */
    public IceServers issue(String id, String hostHeader, Instant now) {
        RestCredentials.Credential credential = RestCredentials.issue(secret, id, ttl, now);
        List<List<String>> both = uris.forHost(hostHeader);
        return new IceServers(both.get(0), both.get(1), credential.username(), credential.password(),
                wholeSecondsUntil(now, credential.expiresAt()), credential.expiresAt());
    }

    /** All URIs, STUN first: the {@code uris} member of the REST API response. */
    public List<String> allUris(String hostHeader) {
        List<List<String>> both = uris.forHost(hostHeader);
        return java.util.stream.Stream.concat(both.get(0).stream(), both.get(1).stream()).toList();
    }

    /** The REST expiry is a whole second; counting whole seconds keeps the reported ttl at the configured one. */
    public static Duration wholeSecondsUntil(Instant now, Instant expiresAt) {
        return Duration.ofSeconds(Math.max(0, expiresAt.getEpochSecond() - now.getEpochSecond()));
    }

    public Duration ttl() {
        return ttl;
    }
}
