package dev.turnbridge.relay.auth;

import dev.turnbridge.relay.stun.PasswordAlgorithm;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The long-term credential key of RFC 8489 §9.2.2, the HMAC key for MESSAGE-INTEGRITY and
 * MESSAGE-INTEGRITY-SHA256: {@code H(username ":" OpaqueString(realm) ":" OpaqueString(password))} where H is
 * MD5 (16 bytes, what RFC 5389 clients use) or SHA-256 (32 bytes), as PASSWORD-ALGORITHM chose.
 */
public final class LongTermKey {

    private LongTermKey() {
    }

    /** The MD5 key, as RFC 5389 defined it. */
    public static byte[] derive(String username, String realm, String password) {
        return derive(username, realm, password, PasswordAlgorithm.MD5);
    }

    /** The key for {@code algorithm}, {@link PasswordAlgorithm#MD5} or {@link PasswordAlgorithm#SHA256}. */
    public static byte[] derive(String username, String realm, String password, int algorithm) {
        String digest = switch (algorithm) {
            case PasswordAlgorithm.MD5 -> "MD5";
            case PasswordAlgorithm.SHA256 -> "SHA-256";
            default -> throw new IllegalArgumentException("algorithm: " + algorithm + " (expected: 1 or 2)");
        };
        String input = username + ":" + OpaqueString.prepare(realm) + ":" + OpaqueString.prepare(password);
        try {
            return MessageDigest.getInstance(digest).digest(input.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(digest + " unavailable", e);
        }
    }
}
