package dev.turnbridge.server;

import dev.turnbridge.relay.transport.RelayServer;
import dev.turnbridge.server.ops.Throughput;
import dev.turnbridge.signaling.ice.LeastLoadedRelay;
import dev.turnbridge.signaling.ice.RelayNode;
import dev.turnbridge.signaling.ice.RelayUris;
import dev.turnbridge.signaling.room.RedisRelayNodes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code relay.nodes: redis}: every {@link #PERIOD} publishes this node's relay (its URIs, allocations and
 * relayed bytes per second) as live for {@link #LIVE_FOR}, then reads every live relay into the
 * {@link LeastLoadedRelay} that signaling issues {@code iceServers} from. A draining node takes its relay
 * out, so new members go elsewhere; a dead one drops out when its entry is no longer renewed.
 */
final class RelayAnnouncer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayAnnouncer.class);
    static final Duration PERIOD = Duration.ofSeconds(2);
    /** Three periods: one slow round trip or a long pause does not take a live relay out. */
    static final Duration LIVE_FOR = PERIOD.multipliedBy(3);

    private final String node;
    private final RelayUris own;
    private final RedisRelayNodes nodes;
    private final LeastLoadedRelay view;
    private final RelayServer relay;
    private final Throughput throughput;
    private final Clock clock;

    RelayAnnouncer(String node, RelayUris own, RedisRelayNodes nodes, LeastLoadedRelay view, RelayServer relay,
                   Throughput throughput, Clock clock) {
        this.node = node;
        this.own = own;
        this.nodes = nodes;
        this.view = view;
        this.relay = relay;
        this.throughput = throughput;
        this.clock = clock;
    }

    void start(ScheduledExecutorService timer) {
        timer.scheduleAtFixedRate(this::announce, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One round: publish (or withdraw while draining), then read the live relays. */
    void announce() {
        java.util.concurrent.CompletionStage<Void> published;
        if (relay.draining()) {
            published = nodes.withdraw(node);
        } else {
            List<List<String>> uris = own.forHost("");
            Throughput.Rates rates = throughput.rates();
            long bytesPerSecond = (long) ((rates.bitsToPeer() + rates.bitsToClient()) / 8);
            published = nodes.publish(new RelayNode(node, uris.get(0), uris.get(1), relay.allocationCount(),
                    bytesPerSecond), clock.instant().plus(LIVE_FOR));
        }
        published.thenCompose(v -> nodes.live(clock.instant())).whenComplete((live, failure) -> {
            if (failure != null) {
                log.debug("relay nodes not refreshed: {}", failure.toString());
            } else {
                view.update(live);
            }
        });
    }

    /** A node that stops on purpose takes its relay out at once (bounded: Redis may be gone). */
    @Override
    public void close() {
        try {
            nodes.withdraw(node).toCompletableFuture().get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("relay not withdrawn: {}", e.toString());
        }
    }
}
