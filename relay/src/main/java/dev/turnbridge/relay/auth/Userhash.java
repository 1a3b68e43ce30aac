package dev.turnbridge.relay.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * USERHASH (RFC 8489 §14.4): {@code SHA-256(OpaqueString(username) ":" OpaqueString(realm))}, sent instead of
 * USERNAME by a client that wants to keep its username off the wire. The server can only find the username
 * again by hashing every username it knows, so only usernames it knows in advance can use it.
 */
public final class Userhash {
    public static final int LENGTH = 32;

    private Userhash() {
    }

    public static byte[] of(String username, String realm) {
        String input = OpaqueString.prepare(username) + ":" + OpaqueString.prepare(realm);
        try {
            return MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
