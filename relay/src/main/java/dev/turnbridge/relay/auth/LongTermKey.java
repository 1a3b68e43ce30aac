package dev.turnbridge.relay.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The long-term credential key of RFC 8489 §9.2.2: {@code MD5(username ":" realm ":" password)}, the HMAC key
 * for MESSAGE-INTEGRITY. Callers pass SASLprep'd values; REST usernames and base64 passwords are ASCII, which
 * SASLprep leaves unchanged.
 */
public final class LongTermKey {

    private LongTermKey() {
    }

    public static byte[] derive(String username, String realm, String password) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            return md5.digest((username + ":" + realm + ":" + password).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    }
}
