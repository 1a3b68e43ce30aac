package dev.turnbridge.server.ops;

import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayStats;

/**
 * Relay throughput over the last sampling interval, for the status page (Prometheus computes its own rates
 * from the counters). {@link #sample} runs on one timer thread; readers see the last completed sample.
 */
public final class Throughput {
    private final RelayStats stats;
    private long lastNanos;
    private long[] last;
    private volatile Rates rates = new Rates(0, 0, 0, 0);

    public Throughput(RelayStats stats) {
        this.stats = stats;
        this.lastNanos = System.nanoTime();
        this.last = totals();
    }

    /** Bits and packets per second, each way. */
    public record Rates(double bitsToPeer, double bitsToClient, double packetsToPeer, double packetsToClient) {
    }

    public Rates rates() {
        return rates;
    }

    public synchronized void sample() {
        long now = System.nanoTime();
        long[] current = totals();
        double seconds = (now - lastNanos) / 1e9;
        if (seconds > 0) {
            rates = new Rates((current[0] - last[0]) * 8 / seconds, (current[1] - last[1]) * 8 / seconds,
                    (current[2] - last[2]) / seconds, (current[3] - last[3]) / seconds);
        }
        last = current;
        lastNanos = now;
    }

    private long[] totals() {
        long[] t = new long[4];
        for (FiveTuple.Transport transport : FiveTuple.Transport.values()) {
            RelayStats.Traffic traffic = stats.traffic(transport);
            t[0] += traffic.bytesToPeer.sum();
            t[1] += traffic.bytesToClient.sum();
            t[2] += traffic.packetsToPeer.sum();
            t[3] += traffic.packetsToClient.sum();
        }
        return t;
    }
}
