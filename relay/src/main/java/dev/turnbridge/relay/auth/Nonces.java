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
 * Stateless, expiring NONCEs (RFC 8489 §9.2):
 * {@code <nonce cookie, 13 chars><expiry, 8 hex digits><MAC, 22 base64url chars>} where the MAC is
 * HMAC-SHA256 under a per-process random key over the cookie, the expiry and the client's IP. Nothing is
 * stored per client, a nonce cannot be used from another address, an expired one is recognised as stale
 * (438) rather than invalid, and the security features the cookie advertised cannot be edited on the way
 * (the bid-down protection of §9.2.1 rests on that).
 */
public final class Nonces {
    private static final int EXPIRY_CHARS = 8;
    private static final int MAC_CHARS = 22;
    private static final int HEAD_CHARS = NonceCookie.LENGTH + EXPIRY_CHARS;

    private final byte[] key;
    /** One Mac per thread, keyed once: a fresh Mac.getInstance per nonce cost as much as the HMAC. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);
    private final long lifetimeSeconds;
    private final Clock clock;
    private final String cookie;
    private final int features;

    /** Nonces advertising "Password algorithms" only (see {@link #Nonces(Duration, Clock, int)}). */
    public Nonces(Duration lifetime, Clock clock) {
        this(lifetime, clock, NonceCookie.PASSWORD_ALGORITHMS);
    }

    /** Nonces whose cookie advertises {@code features}, a combination of {@link NonceCookie}'s bits. */
    public Nonces(Duration lifetime, Clock clock, int features) {
        this(randomKey(), lifetime, clock, features);
    }

    Nonces(byte[] key, Duration lifetime, Clock clock, int features) {
        this.key = key.clone();
        this.lifetimeSeconds = lifetime.getSeconds();
        this.clock = clock;
        this.cookie = NonceCookie.encode(features);
        this.features = features;
    }

    /** The security features every issued nonce advertises. */
    public int features() {
        return features;
    }

    public String issue(InetAddress client) {
        long expiry = clock.millis() / 1000 + lifetimeSeconds;
        String hex = Long.toHexString(expiry & 0xFFFFFFFFL); // not String.format: it parses its pattern per call
        String head = cookie + "00000000".substring(hex.length()) + hex;
        return head + mac(head, client);
    }

    /** Whether {@code nonce} was issued by this server to {@code client} and is still fresh. */
    public Validity check(String nonce, InetAddress client) {
        if (nonce == null || nonce.length() != HEAD_CHARS + MAC_CHARS) {
            return Validity.INVALID;
        }
        String head = nonce.substring(0, HEAD_CHARS);
        byte[] expected = mac(head, client).getBytes(StandardCharsets.US_ASCII);
        byte[] actual = nonce.substring(HEAD_CHARS).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, actual)) {
            return Validity.INVALID;
        }
        long expiry;
        try {
            expiry = Long.parseLong(head.substring(NonceCookie.LENGTH), 16);
        } catch (NumberFormatException e) {
            return Validity.INVALID; // cannot happen for a nonce with our MAC; kept total all the same
        }
        return clock.millis() / 1000 < expiry ? Validity.VALID : Validity.STALE;
    }

    private String mac(String head, InetAddress client) {
        Mac mac = macs.get();
        mac.update(head.getBytes(StandardCharsets.US_ASCII));
        mac.update(client.getAddress());
        byte[] digest = mac.doFinal(); // and the Mac is ready for the next nonce, under the same key
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, MAC_CHARS);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
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
