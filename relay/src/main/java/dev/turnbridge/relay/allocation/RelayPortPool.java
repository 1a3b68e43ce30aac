package dev.turnbridge.relay.allocation;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The relay port range shared by every event loop. Ports are handed out at random (RFC 8656 §7.2 asks for
 * unpredictable relayed ports), EVEN-PORT asks for an even one and, with the R bit, reserves the next port
 * under a RESERVATION-TOKEN for 30 s (RFC 8656 §14.6-14.9). Only Allocate touches the pool, so a lock is fine.
 */
public final class RelayPortPool {
    static final long RESERVATION_MILLIS = 30_000;

    private final int min;
    private final int max;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    // random bytes drawn in blocks: SecureRandom (NativePRNG) reads /dev/urandom and takes its lock per call,
    // which cost more than the port search; the ports stay as unpredictable as before
    private final byte[] randomBlock = new byte[256];
    private int randomUsed = randomBlock.length;
    private final BitSet inUse;
    private final Map<Token, Reservation> reservations = new HashMap<>();
    private int used;

    public RelayPortPool(int min, int max, Clock clock) {
        this.min = min;
        this.max = max;
        this.clock = clock;
        this.inUse = new BitSet(max - min + 1);
    }

    /** Takes a free port (even when asked), or returns -1 when none is left. */
    public synchronized int acquire(boolean even) {
        expireReservations();
        int size = max - min + 1;
        int start = randomBelow(size);
        for (int i = 0; i < size; i++) {
            int port = min + (start + i) % size;
            if (even && (port & 1) != 0) {
                continue;
            }
            if (!inUse.get(port - min)) {
                inUse.set(port - min);
                used++;
                return port;
            }
        }
        return -1;
    }

    /** Takes an even port whose successor is also free and reserves the successor; null when none. */
    public synchronized EvenPair acquireEvenWithReservation() {
        expireReservations();
        int size = max - min + 1;
        int start = randomBelow(size);
        for (int i = 0; i < size; i++) {
            int port = min + (start + i) % size;
            if ((port & 1) != 0 || port + 1 > max) {
                continue;
            }
            if (!inUse.get(port - min) && !inUse.get(port + 1 - min)) {
                inUse.set(port - min);
                inUse.set(port + 1 - min);
                used += 2;
                byte[] token = new byte[8];
                random.nextBytes(token);
                reservations.put(new Token(token), new Reservation(port + 1, clock.millis() + RESERVATION_MILLIS));
                return new EvenPair(port, token);
            }
        }
        return null;
    }

    /** Redeems a RESERVATION-TOKEN for its reserved port, or returns -1 when unknown or expired. */
    public synchronized int redeem(byte[] token) {
        expireReservations();
        Reservation r = reservations.remove(new Token(token));
        return r == null ? -1 : r.port;
    }

    /** Gives a port back; unknown ports are ignored. */
    public synchronized void release(int port) {
        if (port >= min && port <= max && inUse.get(port - min)) {
            inUse.clear(port - min);
            used--;
        }
    }

    /** Whether {@code port} is a relay port this pool has handed out (or reserved). */
    public synchronized boolean isInUse(int port) {
        expireReservations();
        return port >= min && port <= max && inUse.get(port - min);
    }

    public synchronized int inUse() {
        expireReservations();
        return used;
    }

    public int capacity() {
        return max - min + 1;
    }

    /** A uniform random int in [0, bound) from the buffered block (rejection sampling, no modulo bias). */
    private int randomBelow(int bound) {
        long range = 1L << 32;
        long limit = range - range % bound;
        while (true) {
            if (randomUsed + 4 > randomBlock.length) {
                random.nextBytes(randomBlock);
                randomUsed = 0;
            }
            long r = ((randomBlock[randomUsed] & 0xFFL) << 24) | ((randomBlock[randomUsed + 1] & 0xFFL) << 16)
                    | ((randomBlock[randomUsed + 2] & 0xFFL) << 8) | (randomBlock[randomUsed + 3] & 0xFFL);
            randomUsed += 4;
            if (r < limit) {
                return (int) (r % bound);
            }
        }
    }

    private void expireReservations() {
        long now = clock.millis();
        Iterator<Reservation> it = reservations.values().iterator();
        while (it.hasNext()) {
            Reservation r = it.next();
            if (now >= r.expiresAtMillis) {
                it.remove();
                inUse.clear(r.port - min);
                used--;
            }
        }
    }

    /** An even port and the token that redeems its reserved successor. */
    public record EvenPair(int port, byte[] token) {
    }

    private record Reservation(int port, long expiresAtMillis) {
    }

    private record Token(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Token t && java.util.Arrays.equals(bytes, t.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }
    }
}
