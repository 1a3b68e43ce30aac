package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 8489 §14.3 USERNAME: fewer than 509 bytes of UTF-8, no control characters (OpaqueString, RFC 8265). */
class UsernameTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "REST username              | 1767225600:alice          | true",
        "non-ASCII letters          | jöhn.dœ                    | true",
        "508 bytes                  | #508                      | true",
        "509 bytes (RFC 8489 limit) | #509                      | false",
        "513 bytes (RFC 5389 limit) | #513                      | false",
        "4000 bytes                 | #4000                     | false",
        "NUL                        | al\\u0000ice              | false",
        "line feed                  | alice\\u000a              | false",
        "escape                     | \\u001b[2Jalice           | false",
        "DEL                        | alice\\u007f              | false",
        "C1 control                 | alice\\u0085              | false",
    })
    void acceptsOnlyWhatRfc8489Allows(String name, String value, boolean valid) {
        byte[] bytes = value.startsWith("#") ? "a".repeat(Integer.parseInt(value.substring(1))).getBytes(StandardCharsets.UTF_8)
                : unescape(value).getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {9, 9}, bytes);
        assertThat(Username.isValid(buf, 2, bytes.length)).as(name).isEqualTo(valid);
    }

    @org.junit.jupiter.api.Test
    void invalidUtf8AndEmptyAreRefused() {
        assertThat(Username.isValid(Unpooled.wrappedBuffer(new byte[] {'a', (byte) 0xC3}), 0, 2)).isFalse();
        assertThat(Username.isValid(Unpooled.wrappedBuffer(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}), 0, 3))
                .as("a UTF-16 surrogate in UTF-8").isFalse();
        assertThat(Username.isValid(Unpooled.wrappedBuffer(new byte[] {'a'}), 0, 0)).isFalse();
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.startsWith("\\u", i)) {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }
}
