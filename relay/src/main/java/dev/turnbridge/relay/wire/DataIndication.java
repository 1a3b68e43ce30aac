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

    public static ByteBuf encode(ByteBufAllocator alloc, InetSocketAddress peer, ByteBuf data) {
        int length = data.readableBytes();
        int addressLength = XorAddress.valueLength(peer);
        int pad = (4 - (length & 3)) & 3;
        int bodyLength = 4 + addressLength + 4 + length + pad;
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
}
