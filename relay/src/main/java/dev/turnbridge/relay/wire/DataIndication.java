package dev.turnbridge.relay.wire;

import dev.turnbridge.relay.stun.AttributeType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a Data indication (RFC 8656 §11.6): XOR-PEER-ADDRESS and DATA, no MESSAGE-INTEGRITY (indications
 * cannot be authenticated) and, for brevity on the data path, no FINGERPRINT. The payload is copied once,
 * straight from the peer's datagram into the outgoing buffer.
 */
public final class DataIndication {
    public static final int TYPE = 0x0017;

    private DataIndication() {
    }

    /**
     * Whether {@code length} bytes from {@code peer} fit in one Data indication: the STUN length field has 16
     * bits and counts the padded attributes (RFC 8489 §5), so an IPv6 peer's payload is limited to 65504
     * bytes and an IPv4 peer's to 65516. A larger datagram (possible when listeners.max-datagram-size is
     * raised towards 65535) cannot be relayed as a Data indication and is dropped.
     */
    public static boolean fits(InetSocketAddress peer, int length) {
        return bodyLength(XorAddress.valueLength(peer), length) <= 0xFFFF;
    }

    /** Encodes the indication; {@code data} must {@linkplain #fits fit}. */
    public static ByteBuf encode(ByteBufAllocator alloc, InetSocketAddress peer, ByteBuf data) {
        int length = data.readableBytes();
        int addressLength = XorAddress.valueLength(peer);
        int bodyLength = bodyLength(addressLength, length);
        if (bodyLength > 0xFFFF) {
            throw new IllegalArgumentException("data length: " + length + " (expected: a Data indication fits)");
        }
        int pad = (4 - (length & 3)) & 3;
        ByteBuf out = alloc.directBuffer(20 + bodyLength);
        int start = out.writerIndex();
        out.writeShort(TYPE);
        out.writeShort(bodyLength);
        out.writeInt(XorAddress.MAGIC_COOKIE);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        out.writeLong(random.nextLong());
        out.writeInt(random.nextInt());
        out.writeShort(AttributeType.XOR_PEER_ADDRESS);
        out.writeShort(addressLength);
        XorAddress.write(out, start, peer);
        out.writeShort(AttributeType.DATA);
        out.writeShort(length);
        out.writeBytes(data, data.readerIndex(), length);
        out.writeZero(pad);
        return out;
    }

    private static int bodyLength(int addressLength, int dataLength) {
        return 4 + addressLength + 4 + ((dataLength + 3) & ~3);
    }
}
