package dev.turnbridge.signaling.session;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * When to renew which rooms' presence leases: each room belongs to one of {@link #TURNS} turns (by its code)
 * and the turns come round one after another over the renewal interval. A node with N rooms so sends N/16
 * renewals at a time instead of N at once (5000 at 10000 clients), on the connection that also carries the
 * signals' room reads, which would wait behind them.
 */
final class LeaseTurns {

    static final int TURNS = 16;

    private Instant nextAt = Instant.EPOCH;
    private int nextTurn;

    /** The turn of room {@code code}. */
    static int turnOf(String code) {
        return Math.floorMod(code.hashCode(), TURNS);
    }

    /**
     * The turns due at {@code now}, none twice: after a pause every turn at most once, then the round starts
     * over from now. Empty when {@code every} is zero (a registry without leases).
     */
    List<Integer> due(Instant now, Duration every) {
        if (every.isZero()) {
            return List.of();
        }
        Duration step = every.dividedBy(TURNS);
        List<Integer> turns = new ArrayList<>();
        while (!now.isBefore(nextAt) && turns.size() < TURNS) {
            turns.add(nextTurn);
            nextTurn = (nextTurn + 1) % TURNS;
            nextAt = nextAt.plus(step);
        }
        if (!now.isBefore(nextAt)) {
            nextAt = now.plus(step);
        }
        return turns;
    }
}
