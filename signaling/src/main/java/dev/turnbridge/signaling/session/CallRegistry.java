package dev.turnbridge.signaling.session;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calls already counted, so the second side's report of the same call (same room, same pair, same call id)
 * is not counted again. Entries are forgotten after an hour; bounded in any case. Shared by the hub's shards,
 * so it has its own lock.
 */
final class CallRegistry {

    static final Duration KEEP = Duration.ofHours(1);
    static final int MAX_ENTRIES = 100_000;

    private final LinkedHashMap<String, Instant> seen = new LinkedHashMap<>();

    /** True the first time {@code key} is reported. */
    synchronized boolean firstReport(String key, Instant now) {
        prune(now);
        if (seen.containsKey(key)) {
            return false;
        }
        if (seen.size() >= MAX_ENTRIES) {
            Iterator<String> oldest = seen.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        seen.put(key, now);
        return true;
    }

    synchronized void prune(Instant now) {
        Iterator<Map.Entry<String, Instant>> it = seen.entrySet().iterator();
        while (it.hasNext() && !now.isBefore(it.next().getValue().plus(KEEP))) {
            it.remove();
        }
    }
}
