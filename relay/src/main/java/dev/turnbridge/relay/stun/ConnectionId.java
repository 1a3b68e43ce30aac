package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;

/** CONNECTION-ID (RFC 6062 §6.2.1): exactly four opaque bytes naming one peer data connection. */
final class ConnectionId {
    private static final int LENGTH = 4;

    private ConnectionId() {
    }

    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (length != LENGTH) {
            into.malformed();
        } else if (into.connectionId < 0) {
            into.connectionId = message.getUnsignedInt(offset + 4);
        }
    }
}
