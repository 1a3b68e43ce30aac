package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;

/**
 * Reads the value of one attribute type (RFC 8489 §14, RFC 8656 §18) into the message being decoded. A value
 * that breaks its attribute's rules marks the message malformed (400, RFC 8489 §6.3); framing errors, which
 * drop the message, are {@link StunDecoder}'s alone. One implementation per attribute, registered by type in
 * {@link AttributeCodecs}.
 */
@FunctionalInterface
interface AttributeCodec {
    /**
     * @param message the whole message; {@code message.array()} is the received array, at offset 0
     * @param offset  where the attribute's header starts (its value follows at {@code offset + 4})
     * @param length  the value's length, without padding
     */
    void decode(ByteBuf message, int offset, int length, DecodedAttributes into);
}
