package dev.turnbridge.relay.stun;

import dev.turnbridge.relay.wire.XorAddress;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * XOR-PEER-ADDRESS (RFC 8656 §18.3), read here because ice4j keeps one attribute per type while
 * CreatePermission may carry several (RFC 8656 §9.1); every one is kept, in message order.
 */
final class XorPeerAddress {
    private XorPeerAddress() {
    }

    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        InetSocketAddress peer = XorAddress.decode(message, 0, offset + 4, length);
        if (peer == null) {
            into.malformed();
        } else {
            into.peer(peer);
        }
    }
}
