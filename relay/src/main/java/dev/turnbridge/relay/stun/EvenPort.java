package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;

/**
 * EVEN-PORT (RFC 8656 §18.6): one byte whose top bit R asks to reserve the next port too. Read here because
 * ice4j 3.2 insists on a 4-byte value.
 */
final class EvenPort {
    private EvenPort() {
    }

    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (length != 1) {
            into.malformed();
        } else if (into.evenPort < 0) {
            into.evenPort = (message.getUnsignedByte(offset + 4) & 0x80) != 0 ? 1 : 0;
        }
    }
}
