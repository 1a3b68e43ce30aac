package dev.turnbridge.relay.stun;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The USERNAME attribute's value rules (RFC 8489 §14.3): UTF-8 of fewer than {@value #MAX_BYTES} + 1 bytes,
 * processed with the OpaqueString profile (RFC 8265 §4.2), which disallows control characters.
 *
 * <p>The limit is RFC 8489's 509 bytes rather than RFC 5389's 513: RFC 8489 obsoletes RFC 5389, the
 * server speaks RFC 8489, and no credential it can verify comes near either figure (a REST username is
 * {@code <expiry>:<id>}, a few dozen bytes), so the stricter bound costs no client anything.
 */
final class Username {
    /** Longest value accepted, in bytes: "fewer than 509 bytes". */
    static final int MAX_BYTES = 508;

    private Username() {
    }

    /** Checks the value by the rules above (400 when broken); ice4j keeps the bytes. */
    static void decode(ByteBuf message, int offset, int length, DecodedAttributes into) {
        if (!isValid(message, offset + 4, length)) {
            into.malformed();
        }
        Ice4jAttribute.decode(message, offset, length, into);
    }

    /** Whether the {@code length} bytes at {@code offset} are a USERNAME this server accepts. */
    static boolean isValid(ByteBuf buf, int offset, int length) {
        if (length == 0 || length > MAX_BYTES) {
            return false;
        }
        byte[] bytes = new byte[length];
        buf.getBytes(offset, bytes);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return false;
        }
        return text.codePoints().noneMatch(Character::isISOControl);
    }
}
