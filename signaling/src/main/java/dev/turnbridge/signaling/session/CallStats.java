package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.message.ClientMessage;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * The connection-success figure: calls by outcome and path, ICE restarts, time to connect, and the last hour
 * in one-minute buckets for the status page. Labels are closed sets; never a room, peer or address.
 */
public final class CallStats {

    /** Outcomes, in this order in {@link #calls(int, int)}. */
    public static final List<String> OUTCOMES = List.of("connected", "failed");
    /**
     * Paths: {@code direct} (no relay candidate in the pair), {@code relay_udp/tcp/tls} (this side's relay
     * candidate and its TURN transport), {@code relay} (only the other side relayed), {@code none} (failed).
     */
    public static final List<String> PATHS = List.of("direct", "relay_udp", "relay_tcp", "relay_tls", "relay",
            "none");

    private static final int MINUTES = 60;

    private final LongAdder[][] calls = new LongAdder[OUTCOMES.size()][PATHS.size()];
    public final LongAdder iceRestarts = new LongAdder();
    private volatile LongConsumer connectObserver = millis -> { };
    private final long[] bucketMinute = new long[MINUTES];
    private final long[] bucketConnected = new long[MINUTES];
    private final long[] bucketFailed = new long[MINUTES];
    private final long[] bucketRelayed = new long[MINUTES];
    private final long[] bucketConnectMillis = new long[MINUTES];

    /** The last hour's figures. {@code connectMillisMean} is -1 without connected calls. */
    public record Window(long calls, long connected, long relayed, long connectMillisMean) {
    }

    CallStats() {
        for (LongAdder[] row : calls) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
        java.util.Arrays.fill(bucketMinute, -1);
    }

    /** Receives each connected call's time to connect in milliseconds (the composition root's histogram). */
    public void observeConnect(LongConsumer observer) {
        this.connectObserver = observer;
    }

    public long calls(int outcome, int path) {
        return calls[outcome][path].sum();
    }

    synchronized void record(ClientMessage.CallReport report, Instant now) {
        int path = pathOf(report);
        calls[report.connected() ? 0 : 1][path].increment();
        if (report.iceRestart()) {
            iceRestarts.increment();
        }
        long minute = now.getEpochSecond() / 60;
        int b = (int) (minute % MINUTES);
        if (bucketMinute[b] != minute) {
            bucketMinute[b] = minute;
            bucketConnected[b] = 0;
            bucketFailed[b] = 0;
            bucketRelayed[b] = 0;
            bucketConnectMillis[b] = 0;
        }
        if (report.connected()) {
            bucketConnected[b]++;
            bucketConnectMillis[b] += report.connectMillis();
            if (path != 0) {
                bucketRelayed[b]++;
            }
            connectObserver.accept(report.connectMillis());
        } else {
            bucketFailed[b]++;
        }
    }

    /** Calls reported in the 60 minutes up to {@code now}. */
    public synchronized Window lastHour(Instant now) {
        long minute = now.getEpochSecond() / 60;
        long connected = 0;
        long failed = 0;
        long relayed = 0;
        long millis = 0;
        for (int b = 0; b < MINUTES; b++) {
            if (bucketMinute[b] > minute - MINUTES && bucketMinute[b] <= minute) {
                connected += bucketConnected[b];
                failed += bucketFailed[b];
                relayed += bucketRelayed[b];
                millis += bucketConnectMillis[b];
            }
        }
        return new Window(connected + failed, connected, relayed, connected == 0 ? -1 : millis / connected);
    }

    static int pathOf(ClientMessage.CallReport report) {
        if (!report.connected()) {
            return PATHS.indexOf("none");
        }
        if ("relay".equals(report.localType())) {
            return PATHS.indexOf("relay_" + report.relayProtocol());
        }
        return "relay".equals(report.remoteType()) ? PATHS.indexOf("relay") : 0;
    }
}
