package dev.turnbridge.config;

import java.time.Duration;
import java.util.List;

/**
 * Graceful drain, on SIGTERM or an admin call: new allocations are refused, signaling clients are told to
 * reconnect, existing allocations run until they end or the deadline passes, then the server stops.
 *
 * @param deadline         longest wait for existing allocations; 0 stops at once
 * @param alternateServers relays offered in 300 Try Alternate (ALTERNATE-SERVER, RFC 8489 §14.15) to Allocate
 *                         requests during a drain, in turn; empty answers 508 Insufficient Capacity instead
 */
public record DrainSettings(Duration deadline, List<HostPort> alternateServers) {
    public DrainSettings {
        alternateServers = List.copyOf(alternateServers);
    }
}
