package dev.turnbridge.config;

import java.util.List;

/**
 * Settings could not be loaded or are invalid. Carries every problem found, not just the first, so that one
 * start attempt shows everything to fix. Each error reads {@code name: value (expected: ...)}; secret values
 * appear only as {@code <redacted>}.
 */
public final class SettingsException extends RuntimeException {
    private final List<String> errors;

    public SettingsException(List<String> errors) {
        super(message(errors));
        this.errors = List.copyOf(errors);
    }

    /** The problems, one per entry, in the order found. */
    public List<String> errors() {
        return errors;
    }

    private static String message(List<String> errors) {
        return errors.size() == 1
                ? "invalid settings: " + errors.get(0)
                : "invalid settings (" + errors.size() + " problems):\n  " + String.join("\n  ", errors);
    }

    /**
     * Formats one problem. A {@link Secret} value renders as {@code <redacted>} through its {@code toString};
     * strings are quoted only when they would otherwise read ambiguously (empty, padded, non-printable).
     */
    static String error(String name, Object value, String expected) {
        return name + ": " + show(value) + " (expected: " + expected + ")";
    }

    static String show(Object value) {
        if (!(value instanceof String s)) {
            return String.valueOf(value);
        }
        boolean plain = !s.isEmpty() && s.equals(s.strip()) && s.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
        if (plain) {
            return s;
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.append('"').toString();
    }
}
