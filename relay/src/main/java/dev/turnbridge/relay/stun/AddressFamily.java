package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;

/**
 * REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.10) and ADDITIONAL-ADDRESS-FAMILY (§18.11): a family byte and three
 * reserved bytes. Read here because ice4j rejects a family it does not know, which must earn 440 (from the
 * Allocate handler) rather than 400.
 */
final class AddressFamily {
    private static final int LENGTH = 4;

    private AddressFamily() {
    }

    static void decodeRequested(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (length != LENGTH) {
            into.malformed();
        } else if (into.requestedFamily < 0) {
            into.requestedFamily = message.getUnsignedByte(offset + 4);
        }
    }

    static void decodeAdditional(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (length != LENGTH) {
            into.malformed();
        } else if (into.additionalFamily < 0) {
            into.additionalFamily = message.getUnsignedByte(offset + 4);
        }
    }
}
