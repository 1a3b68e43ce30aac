package dev.turnbridge.relay.handler;

import dev.turnbridge.config.DrainSettings;
import dev.turnbridge.config.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether new allocations are admitted. During a drain Allocate is refused: with 300 Try Alternate and an
 * ALTERNATE-SERVER (RFC 8489 §10, RFC 8656 §7.2) when alternates are configured, handing them out in turn,
 * else with 508 Insufficient Capacity. Existing allocations are not affected. Thread-safe.
 */
public final class AllocationGate {
    private final List<InetSocketAddress> alternates;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean draining;

    public AllocationGate(DrainSettings settings) {
        this.alternates = settings.alternateServers().stream()
                .map(AllocationGate::literal)
                .toList();
    }

    public boolean draining() {
        return draining;
    }

    /** From now on, refuse new allocations. There is no way back: a drain ends with the process. */
    public void drain() {
        draining = true;
    }

    /** The alternate to offer the next refused client, or null when none is configured. */
    public InetSocketAddress nextAlternate() {
        if (alternates.isEmpty()) {
            return null;
        }
        return alternates.get(Math.floorMod(next.getAndIncrement(), alternates.size()));
    }

    // The validator has checked that the host is an IP literal, so this never asks DNS.
    private static InetSocketAddress literal(HostPort hp) {
        try {
            return new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("drain.alternate-servers: not an IP literal", e);
        }
    }
}
