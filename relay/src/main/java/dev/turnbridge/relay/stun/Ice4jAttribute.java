package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.AttributeDecoder;

/**
 * The attributes whose values ice4j decodes correctly (USERNAME's bytes, REALM, NONCE, LIFETIME,
 * REQUESTED-TRANSPORT, CHANNEL-NUMBER, RESERVATION-TOKEN, DATA, the address and error attributes of
 * responses) and every type unknown to us, which ice4j keeps as an opaque attribute. Only the value is handed
 * to ice4j, one attribute at a time, from the array as received: nothing is copied or rewritten.
 */
final class Ice4jAttribute {
    private Ice4jAttribute() {
    }

    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        Attribute attribute;
        try {
            attribute = AttributeDecoder.decode(message.array(), offset, 4 + length);
        } catch (Exception e) {
            // ice4j throws StunException or unchecked exceptions on odd values; the framing was sound, so the
            // message earns 400 rather than a drop
            into.ice4jFailed();
            return;
        }
        into.ice4j(attribute);
    }
}
