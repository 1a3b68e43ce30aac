package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/** USERHASH (RFC 8489 §14.4): the 32-byte SHA-256 of {@code username ":" realm}, in place of USERNAME. */
final class Userhash {
    static final int LENGTH = 32;

    private Userhash() {
    }

    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (length != LENGTH) {
            into.malformed();
        } else if (into.userhash == null) {
            into.userhash = ByteBufUtil.getBytes(message, offset + 4, length);
        }
    }
}
