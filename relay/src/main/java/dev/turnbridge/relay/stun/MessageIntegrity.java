package dev.turnbridge.relay.stun;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message up to the attribute, with the header's
 * length field set as if the message ended right after MESSAGE-INTEGRITY. Verification compares in
 * constant time and never reveals the expected value.
 */
public final class MessageIntegrity {
    public static final int LENGTH = 20;
    // Mac.getInstance costs a provider look-up and fresh digest state: about as much as the HMAC itself on a
    // short STUN message, and several run per authenticated request. One Mac per algorithm and thread, re-keyed.
    private static final ThreadLocal<Mac> SHA1 = ThreadLocal.withInitial(() -> newMac("HmacSHA1"));
    private static final ThreadLocal<Mac> SHA256 = ThreadLocal.withInitial(() -> newMac("HmacSHA256"));

    private MessageIntegrity() {
    }

    /** HMAC over {@code msg[0..attributeOffset)} with the length field adjusted to end after the attribute. */
    public static byte[] compute(byte[] msg, int attributeOffset, byte[] key) {
        return hmac("HmacSHA1", msg, attributeOffset, LENGTH, key);
    }

    /**
     * The HMAC both integrity attributes use: over the message up to the attribute, with the header's length
     * field counting the attribute (of {@code valueLength} bytes) as the last one.
     */
    static byte[] hmac(String algorithm, byte[] msg, int attributeOffset, int valueLength, byte[] key) {
        int adjustedLength = attributeOffset + 4 + valueLength - StunMessage.HEADER_LENGTH;
        try {
            Mac mac = (algorithm.equals("HmacSHA1") ? SHA1 : SHA256).get();
            mac.init(new SecretKeySpec(key, algorithm)); // re-keying resets: no state of an earlier use is left
            mac.update(msg, 0, 2);
            mac.update((byte) (adjustedLength >>> 8));
            mac.update((byte) adjustedLength);
            mac.update(msg, 4, attributeOffset - 4);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " unavailable", e);
        }
    }

    private static Mac newMac(String algorithm) {
        try {
            return Mac.getInstance(algorithm);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " unavailable", e);
        }
    }

    /** True when the MESSAGE-INTEGRITY value in {@code message} is correct for {@code key}. */
    public static boolean verify(StunMessage message, byte[] key) {
        int offset = message.integrityOffset();
        if (offset < 0) {
            return false;
        }
        byte[] raw = message.raw();
        byte[] expected = compute(raw, offset, key);
        byte[] actual = new byte[LENGTH];
        System.arraycopy(raw, offset + 4, actual, 0, LENGTH);
        return MessageDigest.isEqual(expected, actual);
    }
}
