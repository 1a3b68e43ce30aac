package dev.turnbridge.relay.auth;

import java.util.Base64;

/**
 * The nonce cookie of RFC 8489 §9.2: a NONCE that starts with {@code "obMatJos2"} and the base64 of the
 * 24-bit STUN Security Feature set tells an RFC 8489 client which features the server supports, so that
 * an attacker who strips PASSWORD-ALGORITHMS from a challenge cannot bid the client down unnoticed (§9.2.1).
 * RFC 5389 clients treat the whole NONCE as opaque and are unaffected.
 *
 * <p>Feature bits are numbered from the least significant bit of the 24-bit set, as the RFC 8489 erratum on
 * §18.1 clarifies ({@code "AAAB"} is "Password algorithms", {@code "AAAC"} "Username anonymity").
 */
public final class NonceCookie {
    public static final String PREFIX = "obMatJos2";
    /** The prefix and the four base64 characters of the feature set. */
    public static final int LENGTH = PREFIX.length() + 4;
    /** Bit 0: the server supports PASSWORD-ALGORITHMS (§9.2.4). */
    public static final int PASSWORD_ALGORITHMS = 1;
    /** Bit 1: the server supports USERHASH; clients then send it instead of USERNAME. */
    public static final int USERNAME_ANONYMITY = 2;

    private NonceCookie() {
    }

    /** The cookie advertising {@code features} (a combination of the bits above). */
    public static String encode(int features) {
        byte[] set = {(byte) (features >>> 16), (byte) (features >>> 8), (byte) features};
        return PREFIX + Base64.getEncoder().encodeToString(set);
    }

    /** The feature set a NONCE advertises, or -1 when it does not start with a well-formed cookie. */
    public static int features(String nonce) {
        if (nonce == null || nonce.length() < LENGTH || !nonce.startsWith(PREFIX)) {
            return -1;
        }
        byte[] set;
        try {
            set = Base64.getDecoder().decode(nonce.substring(PREFIX.length(), LENGTH));
        } catch (IllegalArgumentException e) {
            return -1;
        }
        if (set.length != 3) {
            return -1; // "AA==" and the like
        }
        return (set[0] & 0xFF) << 16 | (set[1] & 0xFF) << 8 | (set[2] & 0xFF);
    }

    /** Whether {@code nonce} carries a cookie with every bit of {@code feature} set. */
    public static boolean advertises(String nonce, int feature) {
        int features = features(nonce);
        return features >= 0 && (features & feature) == feature;
    }
}
