package dev.turnbridge.relay.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RelayPortPoolTest {
    private static final int MIN = 50_000;
    private final MutableClock clock = new MutableClock(Instant.parse("2024-01-01T00:00:00Z"));

    @Test
    void everyPortIsHandedOutOnceThenExhausted() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 9, clock);
        assertThat(pool.capacity()).isEqualTo(10);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            int port = pool.acquire(false);
            assertThat(port).isBetween(MIN, MIN + 9);
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            assertThat(pool.isInUse(port)).isTrue();
        }
        assertThat(pool.inUse()).isEqualTo(10);
        assertThat(pool.acquire(false)).isEqualTo(-1);
        assertThat(pool.acquire(true)).isEqualTo(-1);
        assertThat(pool.acquireEvenWithReservation()).isNull();
    }

    @Test
    void releasedPortComesBackAndOnlyThatOne() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 4, clock);
        for (int i = 0; i < 5; i++) {
            pool.acquire(false);
        }
        pool.release(MIN + 3);
        assertThat(pool.isInUse(MIN + 3)).isFalse();
        assertThat(pool.inUse()).isEqualTo(4);
        assertThat(pool.acquire(false)).isEqualTo(MIN + 3);
        assertThat(pool.acquire(false)).isEqualTo(-1);
    }

    @Test
    void releaseIsIdempotentAndIgnoresForeignPorts() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 4, clock);
        int port = pool.acquire(false);
        pool.release(port);
        pool.release(port);
        pool.release(MIN - 1);
        pool.release(MIN + 5);
        pool.release(3478);
        assertThat(pool.inUse()).isZero();
        assertThat(pool.isInUse(MIN - 1)).isFalse();
        assertThat(pool.isInUse(MIN + 5)).isFalse();
    }

    @ParameterizedTest(name = "range starting at {0}")
    @ValueSource(ints = {50_000, 50_001})
    void evenPortsOnlyWhenAsked(int min) {
        RelayPortPool pool = new RelayPortPool(min, min + 9, clock); // five even ports either way
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            int port = pool.acquire(true);
            assertThat(port % 2).as("port %d", port).isZero();
            assertThat(port).isBetween(min, min + 9);
            seen.add(port);
        }
        assertThat(seen).hasSize(5);
        assertThat(pool.acquire(true)).as("odd ports remain, even ones do not").isEqualTo(-1);
        int odd = pool.acquire(false);
        assertThat(odd % 2).isOne();
    }

    @Test
    void evenPairReservesTheSuccessorUnderAToken() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 9, clock);
        RelayPortPool.EvenPair pair = pool.acquireEvenWithReservation();
        assertThat(pair).isNotNull();
        assertThat(pair.port() % 2).isZero();
        assertThat(pair.token()).hasSize(8);
        assertThat(pool.isInUse(pair.port())).isTrue();
        assertThat(pool.isInUse(pair.port() + 1)).as("reserved").isTrue();
        assertThat(pool.inUse()).isEqualTo(2);
        // the reserved port is never handed out to somebody else
        for (int i = 0; i < 8; i++) {
            assertThat(pool.acquire(false)).isNotIn(pair.port(), pair.port() + 1);
        }
        assertThat(pool.acquire(false)).isEqualTo(-1);
    }

    @Test
    void tokenRedeemsOnceForTheReservedPort() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 9, clock);
        RelayPortPool.EvenPair pair = pool.acquireEvenWithReservation();
        assertThat(pool.redeem(new byte[8])).as("unknown token").isEqualTo(-1);
        assertThat(pool.redeem(pair.token().clone())).as("by value, not identity").isEqualTo(pair.port() + 1);
        assertThat(pool.redeem(pair.token())).as("second redemption").isEqualTo(-1);
        // the redeemer owns the port now: it stays in use after the reservation time
        clock.advance(Duration.ofMinutes(5));
        pool.acquire(false);
        assertThat(pool.isInUse(pair.port() + 1)).isTrue();
        pool.release(pair.port() + 1);
        assertThat(pool.isInUse(pair.port() + 1)).isFalse();
    }

    @Test
    void tokensDiffer() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 99, clock);
        RelayPortPool.EvenPair a = pool.acquireEvenWithReservation();
        RelayPortPool.EvenPair b = pool.acquireEvenWithReservation();
        assertThat(a.port()).isNotEqualTo(b.port());
        assertThat(a.token()).isNotEqualTo(b.token());
        assertThat(pool.redeem(b.token())).isEqualTo(b.port() + 1);
        assertThat(pool.redeem(a.token())).isEqualTo(a.port() + 1);
    }

    @Test
    void reservationExpiresAfterThirtySecondsAndThePortReturns() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 1, clock);
        RelayPortPool.EvenPair pair = pool.acquireEvenWithReservation();
        assertThat(pair.port()).isEqualTo(MIN);
        byte[] token = pair.token();

        clock.advance(Duration.ofMillis(29_999));
        assertThat(pool.acquire(false)).as("still reserved").isEqualTo(-1);

        clock.advance(Duration.ofMillis(1));
        assertThat(pool.redeem(token)).isEqualTo(-1);
        assertThat(pool.isInUse(MIN + 1)).isFalse();
        assertThat(pool.inUse()).isEqualTo(1);
        assertThat(pool.acquire(false)).isEqualTo(MIN + 1);
    }

    @Test
    void redeemWorksUntilTheLastMillisecond() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 1, clock);
        RelayPortPool.EvenPair pair = pool.acquireEvenWithReservation();
        clock.advance(Duration.ofMillis(29_999));
        assertThat(pool.redeem(pair.token())).isEqualTo(MIN + 1);
    }

    @Test
    void expiredReservationIsNotInUseWithoutAnotherAllocate() {
        RelayPortPool pool = new RelayPortPool(MIN, MIN + 1, clock);
        pool.acquireEvenWithReservation();
        clock.advance(Duration.ofSeconds(30));
        assertThat(pool.isInUse(MIN + 1)).isFalse();
        assertThat(pool.inUse()).isEqualTo(1);
    }

    @Test
    void noPairWhenTheSuccessorIsOutOfRangeOrTaken() {
        RelayPortPool top = new RelayPortPool(MIN, MIN, clock); // one even port, no successor in range
        assertThat(top.acquireEvenWithReservation()).isNull();
        assertThat(top.inUse()).isZero();
        assertThat(top.acquire(true)).isEqualTo(MIN);

        RelayPortPool pool = new RelayPortPool(MIN, MIN + 3, clock);
        pool.acquire(false);
        pool.acquire(false);
        pool.acquire(false);
        pool.acquire(false);
        pool.release(MIN);
        pool.release(MIN + 3);
        // MIN is free but MIN + 1 is not; MIN + 2 is taken
        assertThat(pool.acquireEvenWithReservation()).isNull();
        assertThat(pool.isInUse(MIN)).as("a failed pair takes nothing").isFalse();
        assertThat(pool.inUse()).isEqualTo(2);
    }

    @Test
    void portsAreNotHandedOutInOrder() {
        // RFC 8656 §7.2: relayed ports should be unpredictable. Ten fresh pools all starting at the same
        // port out of 1000 would happen by chance with probability 1e-27.
        Set<Integer> first = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            first.add(new RelayPortPool(MIN, MIN + 999, clock).acquire(false));
        }
        assertThat(first).hasSizeGreaterThan(1);
    }
}
