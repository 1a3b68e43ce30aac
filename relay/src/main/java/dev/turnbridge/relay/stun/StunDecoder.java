package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Turns one datagram (or one framed stream message) into a {@link StunMessage}. The framing rules of
 * RFC 8489 §5-6 and §14 are checked here, in one place: the top two bits are zero, the magic cookie is
 * present, the length matches and is a multiple of four, every attribute fits, at most {@value #MAX_ATTRIBUTES}
 * attributes, only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count after MESSAGE-INTEGRITY, only FINGERPRINT
 * counts after MESSAGE-INTEGRITY-SHA256 (§14.5, §14.6; the rest is ignored), and FINGERPRINT is last and
 * correct (§14.7). Every attribute that counts goes to its codec ({@link AttributeCodecs}), which reads its
 * value; a comprehension-required type this server does not understand is noted for a 420.
 */
public final class StunDecoder {
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int MAX_ATTRIBUTES = 64;

    private StunDecoder() {
    }

    /** True when the first byte could start a STUN message (RFC 7983 demultiplexing: 0-3). */
    public static boolean looksLikeStun(int firstByte) {
        return (firstByte & 0xC0) == 0;
    }

    /** Decodes {@code bytes[0..length)}; the array must not be changed afterwards. */
    public static StunMessage decode(byte[] bytes, int length) throws StunParseException {
        if (length < StunMessage.HEADER_LENGTH) {
            throw new StunParseException("short_header");
        }
        ByteBuf buf = Unpooled.wrappedBuffer(bytes, 0, length);
        int type = buf.getUnsignedShort(0);
        if ((type & 0xC000) != 0) {
            throw new StunParseException("not_stun");
        }
        int bodyLength = buf.getUnsignedShort(2);
        if (buf.getInt(4) != MAGIC_COOKIE) {
            throw new StunParseException("no_magic_cookie");
        }
        if ((bodyLength & 3) != 0 || StunMessage.HEADER_LENGTH + bodyLength != length) {
            throw new StunParseException("bad_length");
        }
        byte[] transactionId = new byte[12];
        buf.getBytes(8, transactionId);

        DecodedAttributes into = new DecodedAttributes();
        int count = 0;
        int pos = StunMessage.HEADER_LENGTH;
        while (pos < length) {
            if (++count > MAX_ATTRIBUTES) {
                throw new StunParseException("too_many_attributes");
            }
            if (pos + 4 > length) {
                throw new StunParseException("truncated_attribute");
            }
            int attrType = buf.getUnsignedShort(pos);
            int attrLength = buf.getUnsignedShort(pos + 2);
            int next = pos + 4 + ((attrLength + 3) & ~3);
            if (next > length) {
                throw new StunParseException("truncated_attribute");
            }
            if (attrType == AttributeType.FINGERPRINT) {
                if (attrLength != 4 || next != length) {
                    throw new StunParseException("fingerprint_not_last");
                }
                if (buf.getInt(pos + 4) != Fingerprint.compute(bytes, pos)) {
                    throw new StunParseException("bad_fingerprint");
                }
            } else if (into.sha256Offset >= 0) {
                // after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts
            } else if (attrType == AttributeType.MESSAGE_INTEGRITY_SHA256) {
                if (!MessageIntegritySha256.isValidLength(attrLength)) {
                    throw new StunParseException("bad_integrity_sha256_length");
                }
                into.sha256Offset = pos;
                into.sha256Length = attrLength;
            } else if (into.integrityOffset >= 0) {
                // after MESSAGE-INTEGRITY only the two above count
            } else if (attrType == AttributeType.MESSAGE_INTEGRITY) {
                if (attrLength != MessageIntegrity.LENGTH) {
                    throw new StunParseException("bad_integrity_length");
                }
                into.integrityOffset = pos;
                Ice4jAttribute.decode(buf, pos, attrLength, into);
            } else {
                if (AttributeType.isComprehensionRequired(attrType) && !AttributeType.isUnderstood(attrType)) {
                    into.unknownRequired(attrType);
                }
                AttributeCodecs.of(attrType).decode(buf, pos, attrLength, into);
            }
            pos = next;
        }
        return new StunMessage(type, transactionId, bytes, into.freeze());
    }
}
