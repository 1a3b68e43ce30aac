package dev.turnbridge.signaling.room;

import java.util.Optional;

/**
 * A position in a member's inbox (a Redis stream entry id, {@code <ms>-<n>}), ordered as Redis orders them.
 * Clients see it as an opaque string ({@code at} in signals) and give the last one back when they resume on
 * another node, which replays the inbox after it.
 */
public record LogPosition(long millis, long sequence) implements Comparable<LogPosition> {

    /** Before every entry. */
    public static final LogPosition START = new LogPosition(0, 0);

    /** The position {@code text} names, or empty when it is not one ({@code <digits>-<digits>}). */
    public static Optional<LogPosition> parse(String text) {
        if (text == null || text.length() > 41) {
            return Optional.empty();
        }
        int dash = text.indexOf('-');
        if (dash <= 0 || dash == text.length() - 1) {
            return Optional.empty();
        }
        try {
            long millis = Long.parseLong(text, 0, dash, 10);
            long sequence = Long.parseLong(text, dash + 1, text.length(), 10);
            return millis < 0 || sequence < 0 ? Optional.empty() : Optional.of(new LogPosition(millis, sequence));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public int compareTo(LogPosition other) {
        int byTime = Long.compare(millis, other.millis);
        return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }

    public boolean isAfter(LogPosition other) {
        return compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return millis + "-" + sequence;
    }
}
