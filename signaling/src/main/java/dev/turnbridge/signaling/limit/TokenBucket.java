package dev.turnbridge.signaling.limit;

import java.time.Clock;

/**
 * A token bucket: {@code burst} tokens, refilled at {@code ratePerSecond}; each message takes one. Not
 * thread-safe: one per connection, used on that connection's event loop.
 */
public final class TokenBucket {

    private final Clock clock;
    private final double ratePerMilli;
    private final double burst;
    private double tokens;
    private long lastMillis;

    public TokenBucket(Clock clock, double ratePerSecond, int burst) {
        this.clock = clock;
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.lastMillis = clock.millis();
    }

    /** Takes a token if one is available. */
    public boolean tryTake() {
        long now = clock.millis();
        if (now > lastMillis) {
            tokens = Math.min(burst, tokens + (now - lastMillis) * ratePerMilli);
            lastMillis = now;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return true;
        }
        return false;
    }
}
