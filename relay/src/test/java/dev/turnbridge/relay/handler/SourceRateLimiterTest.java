package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.testing.MutableClock;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SourceRateLimiterTest {
    private final MutableClock clock = MutableClock.now();

    private static int taken(SourceRateLimiter limiter, InetAddress source, int attempts) {
        int n = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.tryAcquire(source)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void burstThenRate() throws Exception {
        SourceRateLimiter limiter = SourceRateLimiter.create(clock, 10, 5);
        InetAddress a = InetAddress.getByName("198.51.100.7");
        assertThat(taken(limiter, a, 100)).isEqualTo(5);
        clock.advance(Duration.ofMillis(100));
        assertThat(taken(limiter, a, 100)).isEqualTo(1);
        clock.advance(Duration.ofSeconds(10)); // idle long enough to refill, never beyond the burst
        assertThat(taken(limiter, a, 100)).isEqualTo(5);
    }

    @Test
    void sourcesAreLimitedApartAndIpv6ByItsSlash64() throws Exception {
        SourceRateLimiter limiter = SourceRateLimiter.create(clock, 1, 3);
        assertThat(taken(limiter, InetAddress.getByName("198.51.100.7"), 10)).isEqualTo(3);
        assertThat(taken(limiter, InetAddress.getByName("198.51.100.8"), 10)).isEqualTo(3);
        assertThat(taken(limiter, InetAddress.getByName("2001:db8:1:2::1"), 10)).isEqualTo(3);
        assertThat(taken(limiter, InetAddress.getByName("2001:db8:1:2:ffff::9"), 10)).isZero();
    }

    @Test
    void spoofingManySourcesNeverRefillsAnother() throws Exception {
        SourceRateLimiter limiter = SourceRateLimiter.create(clock, 1, 3);
        InetAddress victim = InetAddress.getByName("203.0.113.9");
        assertThat(taken(limiter, victim, 10)).isEqualTo(3);
        byte[] b = new byte[4];
        for (int i = 0; i < 4 * SourceRateLimiter.SLOTS; i++) {
            b[0] = (byte) (i >>> 24);
            b[1] = (byte) (i >>> 16);
            b[2] = (byte) (i >>> 8);
            b[3] = (byte) i;
            limiter.tryAcquire(InetAddress.getByAddress(b));
        }
        assertThat(limiter.tryAcquire(victim)).isFalse();
    }

    @Test
    void zeroRateIsOff() {
        assertThat(SourceRateLimiter.create(clock, 0, 5)).isNull();
    }
}
