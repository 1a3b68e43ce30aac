package dev.turnbridge.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A secret value that never shows itself: {@link #toString()} is redacted so that it cannot end up in a log
 * line or an exception message by accident. Read it only with {@link #bytes()} or {@link #reveal()}.
 */
public final class Secret {
    private final String value;

    public Secret(String value) {
        this.value = value;
    }

    /** The secret as UTF-8 bytes (a fresh copy). */
    public byte[] bytes() {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** The secret as text; only for code that must hand it on (a MAC key, a credential). */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other
                && java.security.MessageDigest.isEqual(bytes(), other.bytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes());
    }

    @Override
    public String toString() {
        return "<redacted>";
    }
}
