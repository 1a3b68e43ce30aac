package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * PASSWORD-ALGORITHM (RFC 8489 §14.12) and PASSWORD-ALGORITHMS (§14.11) values: an algorithm number, a
 * parameters length and padded parameters, once or as a list. MD5 (0x0001) and SHA-256 (0x0002) take no
 * parameters (§18.5).
 */
public final class PasswordAlgorithm {
    public static final int MD5 = 0x0001;
    public static final int SHA256 = 0x0002;

    private PasswordAlgorithm() {
    }

    /** PASSWORD-ALGORITHM: the first well-formed one counts. */
    static void decodeOne(ByteBuf message, int offset, int length, DecodedAttributes into) {
        int algorithm = parseOne(message, offset + 4, length);
        if (algorithm < 0) {
            into.malformed();
        } else if (into.passwordAlgorithm < 0) {
            into.passwordAlgorithm = algorithm;
        }
    }

    /** PASSWORD-ALGORITHMS: kept as sent, to be compared with the list the server offered (§9.2.4). */
    static void decodeList(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (!isWellFormedList(message, offset + 4, length)) {
            into.malformed();
        } else if (into.passwordAlgorithms == null) {
            into.passwordAlgorithms = ByteBufUtil.getBytes(message, offset + 4, length);
        }
    }

    /** The algorithm number of a PASSWORD-ALGORITHM value, or -1 when the value is malformed. */
    static int parseOne(ByteBuf buf, int offset, int length) {
        if (length < 4 || 4 + buf.getUnsignedShort(offset + 2) > length) {
            return -1;
        }
        return buf.getUnsignedShort(offset);
    }

    /** Whether a PASSWORD-ALGORITHMS value is a non-empty list of well-formed entries filling it exactly. */
    static boolean isWellFormedList(ByteBuf buf, int offset, int length) {
        int pos = 0;
        while (pos < length) {
            if (pos + 4 > length) {
                return false;
            }
            int paramsLength = buf.getUnsignedShort(offset + pos + 2);
            pos += 4 + ((paramsLength + 3) & ~3);
        }
        return length > 0 && pos == length;
    }

    /** A PASSWORD-ALGORITHMS value listing parameterless {@code algorithms} in order of preference. */
    public static byte[] encodeList(int... algorithms) {
        byte[] out = new byte[4 * algorithms.length];
        for (int i = 0; i < algorithms.length; i++) {
            out[4 * i] = (byte) (algorithms[i] >>> 8);
            out[4 * i + 1] = (byte) algorithms[i];
        }
        return out;
    }

    /** A PASSWORD-ALGORITHM value for a parameterless algorithm. */
    public static byte[] encode(int algorithm) {
        return encodeList(algorithm);
    }

    /** Whether the list value {@code list} (as {@link #encodeList} writes it) names {@code algorithm}. */
    public static boolean listContains(byte[] list, int algorithm) {
        int pos = 0;
        while (pos + 4 <= list.length) {
            int a = ((list[pos] & 0xFF) << 8) | (list[pos + 1] & 0xFF);
            if (a == algorithm) {
                return true;
            }
            int paramsLength = ((list[pos + 2] & 0xFF) << 8) | (list[pos + 3] & 0xFF);
            pos += 4 + ((paramsLength + 3) & ~3);
        }
        return false;
    }
}
