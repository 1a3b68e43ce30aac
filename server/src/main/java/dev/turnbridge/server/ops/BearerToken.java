package dev.turnbridge.server.ops;

import dev.turnbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Checks an {@code Authorization} header against a configured token: {@code Bearer <token>} for scrapers and
 * the CLI, or HTTP Basic with the token as password so a browser can open the status page. Both sides are
 * hashed and compared with {@link MessageDigest#isEqual}, so neither content nor length leaks through timing.
 * An empty token admits everyone.
 */
final class BearerToken {
    private final byte[] digest;

    BearerToken(Secret token) {
        this.digest = token.isEmpty() ? null : sha256(token.bytes());
    }

    boolean required() {
        return digest != null;
    }

    boolean admits(String authorization) {
        if (digest == null) {
            return true;
        }
        String presented = presented(authorization);
        // compare even when nothing was presented, so that a missing header costs the same as a wrong one
        byte[] candidate = sha256((presented == null ? "" : presented).getBytes(StandardCharsets.UTF_8));
        return MessageDigest.isEqual(digest, candidate) && presented != null;
    }

    private static String presented(String authorization) {
        if (authorization == null) {
            return null;
        }
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                        StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon < 0 ? null : decoded.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
