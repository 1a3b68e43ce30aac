package dev.turnbridge.server.acme;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The HTTP-01 challenges pending now (RFC 8555 §8.3): token -> key authorization, put by the ACME client while
 * the CA validates and removed after. Read by the plain-HTTP listener's event loop.
 */
final class Http01Tokens {
    /** RFC 8555 §8.3: the token is base64url, at least 128 bits of entropy; bounded here against abuse. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{22,128}");

    private final Map<String, String> pending = new ConcurrentHashMap<>();

    static boolean wellFormed(String token) {
        return TOKEN.matcher(token).matches();
    }

    void put(String token, String keyAuthorization) {
        if (!wellFormed(token)) {
            throw new IllegalArgumentException("not a base64url ACME token");
        }
        pending.put(token, keyAuthorization);
    }

    void remove(String token) {
        pending.remove(token);
    }

    /** The key authorization for {@code token}, or null when no such challenge is pending. */
    String keyAuthorization(String token) {
        return pending.get(token);
    }
}
