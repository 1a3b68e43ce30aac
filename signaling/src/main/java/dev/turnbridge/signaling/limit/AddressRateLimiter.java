package dev.turnbridge.signaling.limit;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A rate per client address in fixed memory, for actions that must not be repeated freely (creating rooms).
 * Addresses hash, under a per-process random key, into {@value #SLOTS} slots of one theoretical arrival time
 * each (the generic cell rate algorithm: a token bucket in one number). Colliding addresses share a limit;
 * nothing grows with the number of addresses seen. An IPv6 address is keyed by its /64. Thread-safe.
 */
public final class AddressRateLimiter {
    static final int SLOTS = 1 << 14;

    private final Clock clock;
    private final long intervalMicros;
    private final long toleranceMicros;
    private final long key = new SecureRandom().nextLong();
    private final AtomicLongArray arrival = new AtomicLongArray(SLOTS);

    private AddressRateLimiter(Clock clock, double ratePerSecond, int burst) {
        this.clock = clock;
        this.intervalMicros = Math.max(1, Math.round(1_000_000 / ratePerSecond));
        this.toleranceMicros = intervalMicros * (burst - 1L);
    }

    /** A limiter of {@code ratePerSecond} with {@code burst}, or null when the rate is 0 (no limit). */
    public static AddressRateLimiter create(Clock clock, double ratePerSecond, int burst) {
        return ratePerSecond > 0 ? new AddressRateLimiter(clock, ratePerSecond, burst) : null;
    }

    /** Whether {@code address} may act once more now; if so, the action is counted. */
    public boolean tryAcquire(InetAddress address) {
        int slot = slot(address.getAddress());
        long now = clock.millis() * 1000;
        while (true) {
            long tat = arrival.get(slot);
            long start = Math.max(tat, now);
            if (start - now > toleranceMicros) {
                return false;
            }
            if (arrival.compareAndSet(slot, tat, start + intervalMicros)) {
                return true;
            }
        }
    }

    private int slot(byte[] a) {
        long x = 0;
        for (int i = 0; i < Math.min(a.length, 8); i++) {
            x = (x << 8) | (a[i] & 0xFF);
        }
        x ^= key;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((x ^ (x >>> 31)) & (SLOTS - 1));
    }
}
