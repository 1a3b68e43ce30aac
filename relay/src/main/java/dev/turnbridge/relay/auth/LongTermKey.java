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
    // MessageDigest.getInstance is a provider look-up per call; the digests themselves are cheap, and every
    // authenticated request derives one key per configured secret: one digest per algorithm and thread
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> digest("MD5"));
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> digest("SHA-256"));

    private LongTermKey() {
    }

    /** The MD5 key, as RFC 5389 defined it. */
    public static byte[] derive(String username, String realm, String password) {
        return derive(username, realm, password, PasswordAlgorithm.MD5);
    }

    /** The key for {@code algorithm}, {@link PasswordAlgorithm#MD5} or {@link PasswordAlgorithm#SHA256}. */
    public static byte[] derive(String username, String realm, String password, int algorithm) {
        ThreadLocal<MessageDigest> digest = switch (algorithm) {
            case PasswordAlgorithm.MD5 -> MD5;
            case PasswordAlgorithm.SHA256 -> SHA256;
            default -> throw new IllegalArgumentException("algorithm: " + algorithm + " (expected: 1 or 2)");
        };
        String input = username + ":" + OpaqueString.prepare(realm) + ":" + OpaqueString.prepare(password);
        return digest.get().digest(input.getBytes(StandardCharsets.UTF_8)); // digest() resets it for the next use
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " unavailable", e);
        }
    }
}
