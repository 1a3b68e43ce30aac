package dev.turnbridge.signaling.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    @Test
    void burstThenRefillAtTheRate() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        TokenBucket bucket = new TokenBucket(clock, 10, 3);

        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isFalse();
        clock.advance(Duration.ofMillis(99));
        assertThat(bucket.tryTake()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(bucket.tryTake()).isTrue();
        clock.advance(Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(bucket.tryTake()).isTrue();
        }
        assertThat(bucket.tryTake()).as("never more than the burst").isFalse();
    }
}
