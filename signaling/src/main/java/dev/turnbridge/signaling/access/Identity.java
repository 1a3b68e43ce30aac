package dev.turnbridge.signaling.access;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Who a verified bearer is, as far as signaling cares: the user id ({@code sub}), the rooms a token names
 * (claim {@code room}, a code or a list), until when it is valid, and optional per-user room bounds from
 * claims ({@code room_capacity_max}, {@code room_ttl_max} in seconds; the server's own maxima still cap them).
 *
 * @param subject     the user id ({@code sub}); null for anonymous (open mode) and for the API key holder
 * @param rooms       room codes (upper case) the token names; empty when it names none
 * @param backend     true for the holder of {@code signaling.api-key} (the app's backend)
 * @param validUntil  expiry plus clock skew; null when the identity does not expire (open mode, API key)
 * @param capacityMax largest room capacity this user may pick, or null for the server's maximum
 * @param ttlMax      longest room lifetime this user may pick, or null for the server's maximum
 */
public record Identity(String subject, Set<String> rooms, boolean backend, Instant validUntil, Integer capacityMax,
                       Duration ttlMax) {

    private static final Identity ANONYMOUS = new Identity(null, Set.of(), false, null, null, null);
    private static final Identity BACKEND = new Identity(null, Set.of(), true, null, null, null);

    public Identity {
        rooms = Set.copyOf(rooms);
    }

    /** Everyone in open mode. */
    public static Identity anonymous() {
        return ANONYMOUS;
    }

    /** The holder of the API key (the app's backend). */
    public static Identity apiKeyHolder() {
        return BACKEND;
    }

    /** False once {@code validUntil} has passed. */
    public boolean isValidAt(Instant now) {
        return validUntil == null || now.isBefore(validUntil);
    }
}
