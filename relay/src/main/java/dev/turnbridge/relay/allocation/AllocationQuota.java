package dev.turnbridge.relay.allocation;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts live allocations per username and in total across all event loops (RFC 8656 §7.2: 486 Allocation
 * Quota Reached). Touched on Allocate and on allocation end only.
 */
public final class AllocationQuota {
    private final int perUser;
    private final int total;
    private final ConcurrentHashMap<String, AtomicInteger> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();

    public AllocationQuota(int perUser, int total) {
        this.perUser = perUser;
        this.total = total;
    }

    /** Claims one allocation for {@code username}; false (nothing claimed) when a limit is reached. */
    public boolean tryAcquire(String username) {
        if (live.incrementAndGet() > total) {
            live.decrementAndGet();
            return false;
        }
        boolean[] ok = {false};
        byUser.compute(username, (u, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            if (count.get() < perUser) {
                count.incrementAndGet();
                ok[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        if (!ok[0]) {
            live.decrementAndGet();
        }
        return ok[0];
    }

    /** Gives back one allocation of {@code username}; a user holding none is ignored. */
    public void release(String username) {
        boolean[] held = {false};
        byUser.computeIfPresent(username, (u, n) -> {
            held[0] = true;
            return n.decrementAndGet() <= 0 ? null : n;
        });
        if (held[0]) {
            live.decrementAndGet();
        }
    }

    public int live() {
        return live.get();
    }
}
