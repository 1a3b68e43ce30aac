package dev.turnbridge.signaling.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {

    @Test
    void countsPerAddress() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(2);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");

        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
        assertThat(limiter.tryAcquire(b)).isTrue();
        limiter.release(a);
        assertThat(limiter.tryAcquire(a)).isTrue();
        limiter.release(a);
        limiter.release(a);
        assertThat(limiter.openFrom(a)).isZero();
    }
}
