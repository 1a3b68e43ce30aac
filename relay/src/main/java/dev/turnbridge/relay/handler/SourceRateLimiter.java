package dev.turnbridge.relay.handler;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Limits how many unauthenticated responses one source address receives, so that spoofed UDP requests cannot
 * turn the relay into a reflector (RFC 8489 §16.1.3, RFC 8656 §21.1). Memory is fixed: source addresses hash,
 * under a per-process random key, into a table of {@value #SLOTS} slots, each holding one theoretical arrival
 * time of the generic cell rate algorithm (ITU-T I.371; a token bucket in one number). Sources that collide
 * share a slot and so a limit: spoofing many addresses can only make the limit stricter, never give a victim a
 * fresh burst, and no map grows with the addresses an attacker can invent. An IPv6 source is keyed by its /64,
 * the prefix one subscriber holds.
 *
 * <p>Thread-safe and lock-free: the UDP listeners of all event loops share one instance.
 */
final class SourceRateLimiter {
    static final int SLOTS = 1 << 16;

    private final Clock clock;
    private final long intervalMicros;
    private final long toleranceMicros;
    private final long key0;
    private final long key1;
    private final AtomicLongArray arrival = new AtomicLongArray(SLOTS);

    /** {@code ratePerSecond} 0 means no limit. */
    private SourceRateLimiter(Clock clock, double ratePerSecond, int burst) {
        this.clock = clock;
        this.intervalMicros = Math.max(1, Math.round(1_000_000 / ratePerSecond));
        this.toleranceMicros = intervalMicros * (burst - 1L);
        SecureRandom random = new SecureRandom();
        this.key0 = random.nextLong();
        this.key1 = random.nextLong();
    }

    /** The limiter for {@code ratePerSecond} and {@code burst}, or null when {@code ratePerSecond} is 0 (off). */
    static SourceRateLimiter create(Clock clock, double ratePerSecond, int burst) {
        return ratePerSecond > 0 ? new SourceRateLimiter(clock, ratePerSecond, burst) : null;
    }

    /** Whether one more response may go to {@code source}; if so, it is counted against the source. */
    boolean tryAcquire(InetAddress source) {
        int slot = slot(source.getAddress());
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

    private int slot(byte[] address) {
        long x = address.length == 4 ? intOf(address, 0) : longOf(address); // IPv6: the /64 prefix
        long h = mix(x ^ key0) ^ key1;
        return (int) (mix(h) & (SLOTS - 1));
    }

    private static long intOf(byte[] b, int off) {
        return ((b[off] & 0xFFL) << 24) | ((b[off + 1] & 0xFFL) << 16) | ((b[off + 2] & 0xFFL) << 8)
                | (b[off + 3] & 0xFFL);
    }

    private static long longOf(byte[] b) {
        return (intOf(b, 0) << 32) | intOf(b, 4);
    }

    /** The SplitMix64 finaliser: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
