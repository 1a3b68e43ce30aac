package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeaseTurnsTest {

    private static final Duration EVERY = Duration.ofSeconds(5);
    private static final Instant START = Instant.parse("2026-12-03T12:00:00Z");

    @Test
    void sweptEvery250msEachTurnComesOncePerIntervalOneAtATime() {
        LeaseTurns turns = new LeaseTurns();
        turns.due(START, EVERY); // the first sweep catches up from nothing: every turn once
        Map<Integer, Integer> counts = new HashMap<>();
        int largest = 0;
        for (int tick = 1; tick <= 80; tick++) { // 20 s
            List<Integer> due = turns.due(START.plusMillis(250L * tick), EVERY);
            largest = Math.max(largest, due.size());
            due.forEach(t -> counts.merge(t, 1, Integer::sum));
        }
        assertThat(counts).hasSize(LeaseTurns.TURNS);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(3, 5)); // 20 s / 5 s = 4 rounds
        assertThat(largest).as("turns at one sweep").isLessThanOrEqualTo(2);
    }

    @Test
    void afterALongPauseEachTurnComesAtMostOnceAndTheRoundStartsOver() {
        LeaseTurns turns = new LeaseTurns();
        turns.due(START, EVERY);
        List<Integer> afterPause = turns.due(START.plusSeconds(60), EVERY);
        assertThat(afterPause).doesNotHaveDuplicates().hasSize(LeaseTurns.TURNS);
        assertThat(turns.due(START.plusSeconds(60), EVERY)).isEmpty();
        assertThat(turns.due(START.plusSeconds(60).plus(EVERY.dividedBy(LeaseTurns.TURNS)), EVERY)).hasSize(1);
    }

    @Test
    void aRegistryWithoutLeasesHasNoTurns() {
        assertThat(new LeaseTurns().due(START, Duration.ZERO)).isEmpty();
    }

    @Test
    void roomsSpreadOverTheTurns() {
        Map<Integer, List<String>> byTurn = new HashMap<>();
        for (int i = 0; i < 1600; i++) {
            String code = Integer.toString(i * 7919, 36).toUpperCase();
            byTurn.computeIfAbsent(LeaseTurns.turnOf(code), t -> new ArrayList<>()).add(code);
        }
        assertThat(byTurn).hasSize(LeaseTurns.TURNS);
        assertThat(byTurn.values()).allSatisfy(codes -> assertThat(codes.size()).isBetween(50, 150));
    }
}
