package dev.turnbridge.signaling.limit;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/** Counts open connections per client IP and refuses beyond a limit. Thread-safe. */
public final class ConnectionLimiter {

    private final int perIp;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    public ConnectionLimiter(int perIp) {
        this.perIp = perIp;
    }

    /** Counts a new connection; false (and nothing counted) when the address is at its limit. */
    public boolean tryAcquire(InetAddress address) {
        boolean[] acquired = {false};
        open.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= perIp) {
                return n;
            }
            acquired[0] = true;
            return count + 1;
        });
        return acquired[0];
    }

    /** Forgets one connection counted by {@link #tryAcquire}. */
    public void release(InetAddress address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    public int openFrom(InetAddress address) {
        return open.getOrDefault(address, 0);
    }
}
