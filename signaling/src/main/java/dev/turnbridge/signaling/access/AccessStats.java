package dev.turnbridge.signaling.access;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Authentication and authorization outcomes by access mode, for the composition root to bind to a counter
 * with tags {@code mode} and {@code outcome} ({@code ok}, {@code forbidden} or a {@link Refusal} tag). Fixed
 * sets only: never a user id, room code or address.
 */
public final class AccessStats {

    /** Outcome tags, in counter order. */
    public static final List<String> OUTCOMES;

    static {
        List<String> outcomes = new ArrayList<>(List.of("ok", "forbidden"));
        for (Refusal r : Refusal.values()) {
            outcomes.add(r.tag());
        }
        OUTCOMES = List.copyOf(outcomes);
    }

    private final LongAdder[] counts = new LongAdder[AccessMode.values().length * OUTCOMES.size()];

    public AccessStats() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void ok(AccessMode mode) {
        counts[index(mode, 0)].increment();
    }

    void forbidden(AccessMode mode) {
        counts[index(mode, 1)].increment();
    }

    void refused(AccessMode mode, Refusal refusal) {
        counts[index(mode, 2 + refusal.ordinal())].increment();
    }

    /** The count for one mode and one of {@link #OUTCOMES}. */
    public long count(AccessMode mode, int outcomeIndex) {
        return counts[index(mode, outcomeIndex)].sum();
    }

    private static int index(AccessMode mode, int outcome) {
        return mode.ordinal() * OUTCOMES.size() + outcome;
    }
}
