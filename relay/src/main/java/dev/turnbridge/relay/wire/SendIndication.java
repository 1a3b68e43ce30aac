package dev.turnbridge.relay.wire;

import dev.turnbridge.relay.stun.AttributeType;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.zip.CRC32;

/**
 * Reads a Send indication (RFC 8656 §11.4) straight from the received buffer: only XOR-PEER-ADDRESS and the
 * location of DATA are extracted, so the payload is relayed without copying. One instance per event loop is
 * reused for every packet; results stay valid until the next {@link #parse}.
 */
public final class SendIndication {
    public static final int TYPE = 0x0016;
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int FINGERPRINT_XOR = 0x5354554E;

    private InetSocketAddress peer;
    private int dataIndex;
    private int dataLength;

    public static boolean is(ByteBuf buf) {
        return buf.readableBytes() >= 20 && buf.getUnsignedShort(buf.readerIndex()) == TYPE;
    }

    /**
     * Parses the indication at the buffer's reader index. Returns false (drop silently, as RFC 8656 §11.4
     * asks) when framing is broken, FINGERPRINT is wrong, XOR-PEER-ADDRESS or DATA is missing, or a
     * comprehension-required attribute is not understood.
     */
    public boolean parse(ByteBuf buf) {
        peer = null;
        dataIndex = -1;
        int start = buf.readerIndex();
        int end = start + 20 + buf.getUnsignedShort(start + 2);
        if (buf.getInt(start + 4) != MAGIC_COOKIE || end > buf.writerIndex() || ((end - start) & 3) != 0) {
            return false;
        }
        int pos = start + 20;
        // the length is a multiple of four and every attribute is padded to four, so a header always fits
        while (pos < end) {
            int type = buf.getUnsignedShort(pos);
            int length = buf.getUnsignedShort(pos + 2);
            int next = pos + 4 + ((length + 3) & ~3);
            if (next > end) {
                return false;
            }
            if (type == AttributeType.XOR_PEER_ADDRESS && peer == null) {
                peer = XorAddress.decode(buf, start, pos + 4, length);
                if (peer == null) {
                    return false;
                }
            } else if (type == AttributeType.DATA && dataIndex < 0) {
                dataIndex = pos + 4;
                dataLength = length;
            } else if (type == AttributeType.FINGERPRINT) {
                if (length != 4 || next != end || !fingerprintMatches(buf, start, pos)) {
                    return false;
                }
            } else if (type < 0x8000 && !AttributeType.isUnderstood(type)) {
                return false;
            }
            pos = next;
        }
        return peer != null && dataIndex >= 0;
    }

    public InetSocketAddress peer() {
        return peer;
    }

    public int dataIndex() {
        return dataIndex;
    }

    public int dataLength() {
        return dataLength;
    }

    private static boolean fingerprintMatches(ByteBuf buf, int start, int fingerprintPos) {
        CRC32 crc = new CRC32();
        crc.update(buf.nioBuffer(start, fingerprintPos - start));
        return ((int) crc.getValue() ^ FINGERPRINT_XOR) == buf.getInt(fingerprintPos + 4);
    }
}
