package dev.turnbridge.relay.transport;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/** Open TCP/TLS client connections per client IP, refused beyond a limit. Thread-safe. */
final class ConnectionsPerAddress {
    private final int limit;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ConnectionsPerAddress(int limit) {
        this.limit = limit;
    }

    /** Counts a connection from {@code address}; false (nothing counted) when it already has {@code limit}. */
    boolean tryAcquire(InetAddress address) {
        boolean[] acquired = {false};
        open.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= limit) {
                return n;
            }
            acquired[0] = true;
            return count + 1;
        });
        return acquired[0];
    }

    void release(InetAddress address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    int openFrom(InetAddress address) {
        return open.getOrDefault(address, 0);
    }
}
