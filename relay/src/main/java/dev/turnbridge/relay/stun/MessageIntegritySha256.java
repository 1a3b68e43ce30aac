package dev.turnbridge.relay.stun;

import java.security.MessageDigest;

/**
 * MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): HMAC-SHA256 over the message up to the attribute, with the
 * header's length field set as if the message ended right after it. The value may be truncated to 16..32
 * bytes in steps of 4; the HMAC input then counts the truncated length, and only that prefix is compared.
 * Whether a usage allows truncation is the caller's decision (TURN does not, RFC 8656 is silent on it).
 */
public final class MessageIntegritySha256 {
    public static final int LENGTH = 32;
    public static final int MIN_LENGTH = 16;

    private MessageIntegritySha256() {
    }

    /** Whether {@code length} is a valid attribute length: 16 to 32, a multiple of 4. */
    public static boolean isValidLength(int length) {
        return length >= MIN_LENGTH && length <= LENGTH && (length & 3) == 0;
    }

    /**
     * The full 32-byte HMAC over {@code msg[0..attributeOffset)} with the length field adjusted to end after
     * an attribute of {@code valueLength} bytes.
     */
    public static byte[] compute(byte[] msg, int attributeOffset, int valueLength, byte[] key) {
        return MessageIntegrity.hmac("HmacSHA256", msg, attributeOffset, valueLength, key);
    }

    /** True when the (possibly truncated) MESSAGE-INTEGRITY-SHA256 in {@code message} is correct for {@code key}. */
    public static boolean verify(StunMessage message, byte[] key) {
        int offset = message.integritySha256Offset();
        if (offset < 0) {
            return false;
        }
        int length = message.integritySha256Length();
        byte[] raw = message.raw();
        byte[] full = compute(raw, offset, length, key);
        byte[] expected = java.util.Arrays.copyOf(full, length);
        byte[] actual = java.util.Arrays.copyOfRange(raw, offset + 4, offset + 4 + length);
        return MessageDigest.isEqual(expected, actual);
    }
}
