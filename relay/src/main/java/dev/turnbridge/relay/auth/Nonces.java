package dev.turnbridge.relay.auth;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless, expiring NONCEs (RFC 8489 §9.2): {@code <expiry, 8 hex digits><MAC, 22 base64url chars>} where
 * the MAC is HMAC-SHA256 under a per-process random key over the expiry and the client's IP. Nothing is
 * stored per client, a nonce cannot be used from another address, and an expired one is recognised as
 * stale (438) rather than invalid.
 */
public final class Nonces {
    private static final int EXPIRY_CHARS = 8;
    private static final int MAC_CHARS = 22;

    private final byte[] key;
    private final long lifetimeSeconds;
    private final Clock clock;

    public Nonces(Duration lifetime, Clock clock) {
        this(randomKey(), lifetime, clock);
    }

    Nonces(byte[] key, Duration lifetime, Clock clock) {
        this.key = key.clone();
        this.lifetimeSeconds = lifetime.getSeconds();
        this.clock = clock;
    }

    public String issue(InetAddress client) {
        long expiry = clock.millis() / 1000 + lifetimeSeconds;
        String head = String.format("%08x", expiry & 0xFFFFFFFFL);
        return head + mac(head, client);
    }

    /** Whether {@code nonce} was issued by this server to {@code client} and is still fresh. */
    public Validity check(String nonce, InetAddress client) {
        if (nonce == null || nonce.length() != EXPIRY_CHARS + MAC_CHARS) {
            return Validity.INVALID;
        }
        String head = nonce.substring(0, EXPIRY_CHARS);
        byte[] expected = mac(head, client).getBytes(StandardCharsets.US_ASCII);
        byte[] actual = nonce.substring(EXPIRY_CHARS).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, actual)) {
            return Validity.INVALID;
        }
        long expiry = Long.parseLong(head, 16);
        return clock.millis() / 1000 < expiry ? Validity.VALID : Validity.STALE;
    }

    private String mac(String head, InetAddress client) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(head.getBytes(StandardCharsets.US_ASCII));
            mac.update(client.getAddress());
            byte[] digest = mac.doFinal();
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, MAC_CHARS);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    public enum Validity { VALID, STALE, INVALID }
}
