package dev.turnbridge.relay.stun;

import java.util.zip.CRC32;

/** FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute, XOR 0x5354554E. */
public final class Fingerprint {
    static final int XOR = 0x5354554E;

    private Fingerprint() {
    }

    /**
     * The fingerprint of {@code msg[0..end)}, where the header's length field already counts the
     * FINGERPRINT attribute.
     */
    public static int compute(byte[] msg, int end) {
        CRC32 crc = new CRC32();
        crc.update(msg, 0, end);
        return (int) crc.getValue() ^ XOR;
    }
}
