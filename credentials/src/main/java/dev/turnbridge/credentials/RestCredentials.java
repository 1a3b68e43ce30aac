package dev.turnbridge.credentials;

import dev.turnbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-limited TURN credentials in the REST scheme (draft-uberti-behave-turn-rest, coturn's
 * {@code use-auth-secret}): the username is {@code <unix-expiry>:<id>} and the password is
 * {@code base64(HMAC-SHA1(secret, username))}. Issuing and verifying live side by side so that the two can
 * never drift apart; signaling issues with the same class the relay verifies with.
 */
public final class RestCredentials {
    /** One Mac per thread, re-keyed per call: Mac.getInstance costs about as much as this short HMAC. */
    private static final ThreadLocal<Mac> HMAC_SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA1");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    });

    private RestCredentials() {
    }

    /** Issues a credential for {@code id} that expires {@code ttl} after {@code now}. */
    public static Credential issue(Secret secret, String id, Duration ttl, Instant now) {
        if (id.isEmpty()) {
            throw new IllegalArgumentException("id must not be empty");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive");
        }
        long expiry = now.plus(ttl).getEpochSecond();
        String username = expiry + ":" + id;
        return new Credential(username, password(secret, username), Instant.ofEpochSecond(expiry));
    }

    /** The password that belongs to a REST username under {@code secret}. */
    public static String password(Secret secret, String username) {
        try {
            Mac mac = HMAC_SHA1.get();
            mac.init(new SecretKeySpec(secret.bytes(), "HmacSHA1"));
            byte[] digest = mac.doFinal(username.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }

    /**
     * The expiry encoded in a REST username: the digits before the first colon, or, as coturn accepts, the
     * whole username when it is only digits. Returns -1 when the username carries no timestamp.
     */
    public static long expiryOf(String username) {
        int colon = username.indexOf(':');
        String head = colon < 0 ? username : username.substring(0, colon);
        if (head.isEmpty() || head.length() > 18) {
            return -1;
        }
        for (int i = 0; i < head.length(); i++) {
            char c = head.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        return Long.parseLong(head);
    }

    /** A username and password pair and the moment it stops being accepted for new allocations. */
    public record Credential(String username, String password, Instant expiresAt) {
        @Override
        public String toString() {
            return "Credential[username=" + username + ", password=<redacted>, expiresAt=" + expiresAt + "]";
        }
    }
}
