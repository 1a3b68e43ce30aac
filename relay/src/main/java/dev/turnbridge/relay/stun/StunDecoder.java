package dev.turnbridge.relay.stun;

import dev.turnbridge.relay.wire.XorAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.ice4j.message.Message;

/**
 * Turns one datagram (or one framed stream message) into a {@link StunMessage}. The framing rules of
 * RFC 8489 §5-6 and §14 are checked here, in one place, before ice4j sees the bytes: the top two bits are
 * zero, the magic cookie is present, the length matches and is a multiple of four, every attribute fits,
 * only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count after MESSAGE-INTEGRITY, only FINGERPRINT counts
 * after MESSAGE-INTEGRITY-SHA256 (§14.5, §14.6; the rest is ignored), and FINGERPRINT is last and
 * correct. ice4j then decodes the other attribute values; it only accepts a message at offset 0 of its
 * array, so callers hand in a fresh array.
 *
 * <p>Some attributes are read here rather than by ice4j, and hidden from it: every XOR-PEER-ADDRESS (ice4j
 * keeps one per type), EVEN-PORT (ice4j 3.2 insists on a 4-byte value where RFC 8656 §14.6 has 1 byte),
 * REQUESTED-ADDRESS-FAMILY (ice4j rejects unknown families, which must earn 440 rather than 400),
 * CONNECTION-ID (RFC 6062 §6.2: exactly four opaque bytes),
 * FINGERPRINT (already checked), the RFC 8489 credential attributes ice4j 3.2 does not know
 * (MESSAGE-INTEGRITY-SHA256, PASSWORD-ALGORITHM, PASSWORD-ALGORITHMS, USERHASH), and every attribute after
 * the first message-integrity attribute, so that ignored attributes stay ignored.
 */
public final class StunDecoder {
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int MAX_ATTRIBUTES = 64;
    private static final int USERHASH_LENGTH = 32;

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

        int integrityOffset = -1;
        int sha256Offset = -1;
        int sha256Length = 0;
        int passwordAlgorithm = -1;
        byte[] passwordAlgorithms = null;
        byte[] userhash = null;
        int[] unknown = new int[0];
        List<InetSocketAddress> peers = List.of();
        boolean peerMalformed = false;
        int evenPort = -1;
        int family = -1;
        int additionalFamily = -1;
        long connectionId = -1;
        int[] hidden = new int[0];
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
            int valueEnd = pos + 4 + attrLength;
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
                hidden = append(hidden, pos);
            } else if (sha256Offset >= 0) {
                hidden = append(hidden, pos); // after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts
            } else if (attrType == AttributeType.MESSAGE_INTEGRITY_SHA256) {
                if (!MessageIntegritySha256.isValidLength(attrLength)) {
                    throw new StunParseException("bad_integrity_sha256_length");
                }
                hidden = append(hidden, pos);
                sha256Offset = pos;
                sha256Length = attrLength;
            } else if (integrityOffset >= 0) {
                hidden = append(hidden, pos); // after MESSAGE-INTEGRITY only the two above count
            } else if (attrType == AttributeType.MESSAGE_INTEGRITY) {
                if (attrLength != MessageIntegrity.LENGTH) {
                    throw new StunParseException("bad_integrity_length");
                }
                integrityOffset = pos;
            } else if (attrType == AttributeType.PASSWORD_ALGORITHM) {
                hidden = append(hidden, pos);
                int algorithm = PasswordAlgorithm.parseOne(buf, pos + 4, attrLength);
                if (algorithm < 0) {
                    peerMalformed = true;
                } else if (passwordAlgorithm < 0) {
                    passwordAlgorithm = algorithm;
                }
            } else if (attrType == AttributeType.PASSWORD_ALGORITHMS) {
                hidden = append(hidden, pos);
                if (!PasswordAlgorithm.isWellFormedList(buf, pos + 4, attrLength)) {
                    peerMalformed = true;
                } else if (passwordAlgorithms == null) {
                    passwordAlgorithms = java.util.Arrays.copyOfRange(bytes, pos + 4, valueEnd);
                }
            } else if (attrType == AttributeType.USERNAME) {
                if (!Username.isValid(buf, pos + 4, attrLength)) {
                    peerMalformed = true;
                }
            } else if (attrType == AttributeType.USERHASH) {
                hidden = append(hidden, pos);
                if (attrLength != USERHASH_LENGTH) {
                    peerMalformed = true;
                } else if (userhash == null) {
                    userhash = java.util.Arrays.copyOfRange(bytes, pos + 4, valueEnd);
                }
            } else if (attrType == AttributeType.EVEN_PORT) {
                hidden = append(hidden, pos);
                if (attrLength != 1) {
                    peerMalformed = true;
                } else if (evenPort < 0) {
                    evenPort = (buf.getUnsignedByte(pos + 4) & 0x80) != 0 ? 1 : 0;
                }
            } else if (attrType == AttributeType.REQUESTED_ADDRESS_FAMILY) {
                hidden = append(hidden, pos);
                if (attrLength != 4) {
                    peerMalformed = true;
                } else if (family < 0) {
                    family = buf.getUnsignedByte(pos + 4);
                }
            } else if (attrType == AttributeType.ADDITIONAL_ADDRESS_FAMILY) {
                hidden = append(hidden, pos);
                if (attrLength != 4) {
                    peerMalformed = true;
                } else if (additionalFamily < 0) {
                    additionalFamily = buf.getUnsignedByte(pos + 4);
                }
            } else if (attrType == AttributeType.CONNECTION_ID) {
                hidden = append(hidden, pos);
                if (attrLength != 4) {
                    peerMalformed = true;
                } else if (connectionId < 0) {
                    connectionId = buf.getUnsignedInt(pos + 4);
                }
            } else if (attrType == AttributeType.XOR_PEER_ADDRESS) {
                hidden = append(hidden, pos);
                InetSocketAddress peer = XorAddress.decode(buf, 0, pos + 4, attrLength);
                if (peer == null) {
                    peerMalformed = true;
                } else {
                    if (peers.isEmpty()) {
                        peers = new ArrayList<>(2);
                    }
                    peers.add(peer);
                }
            } else if (AttributeType.isComprehensionRequired(attrType)
                    && !AttributeType.isUnderstood(attrType)) {
                unknown = append(unknown, attrType);
            }
            assert valueEnd <= next;
            pos = next;
        }
        byte[] forIce4j = bytes;
        if (hidden.length > 0) {
            forIce4j = java.util.Arrays.copyOf(bytes, length);
            for (int at : hidden) {
                // an unknown comprehension-optional type: ice4j keeps it as an opaque attribute
                forIce4j[at] = (byte) 0xFF;
                forIce4j[at + 1] = (byte) 0xFF;
            }
        }
        Message values;
        try {
            values = Message.decode(forIce4j, 0, length);
        } catch (Exception e) {
            // ice4j throws StunException or unchecked exceptions on odd values; framing was sound, so the
            // caller answers 400 instead of dropping.
            values = null;
        }
        var credentials = new StunMessage.Credentials(sha256Offset, sha256Length, passwordAlgorithm,
                passwordAlgorithms, userhash);
        return new StunMessage(type, transactionId, bytes, integrityOffset, unknown,
                peers.isEmpty() ? List.of() : List.copyOf(peers), peerMalformed, evenPort, family, additionalFamily, values,
                credentials, connectionId);
    }

    private static int[] append(int[] a, int v) {
        int[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }
}
