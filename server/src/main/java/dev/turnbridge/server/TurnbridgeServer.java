package dev.turnbridge.server;

import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.stun.StunWarmup;
import dev.turnbridge.relay.transport.NettyTransport;
import dev.turnbridge.relay.transport.RelayServer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * The composition root: builds event loops, the relay (and later signaling) from one {@link Settings}, starts
 * them in order and stops them in reverse. The only place that constructs servers and executors.
 */
public final class TurnbridgeServer implements AutoCloseable {
    private final Settings settings;
    private final NettyTransport transport;
    private final RelayServer relay;
    private List<InetSocketAddress> relayAddresses = List.of();

    private TurnbridgeServer(Settings settings, Clock clock) {
        this.settings = settings;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.transport = NettyTransport.create(threads, "turnbridge-io", true);
        this.relay = new RelayServer(settings, clock, transport);
    }

    /** Starts everything; on failure, whatever was started is stopped again before the exception surfaces. */
    public static TurnbridgeServer start(Settings settings) {
        return start(settings, Clock.systemUTC());
    }

    public static TurnbridgeServer start(Settings settings, Clock clock) {
        StunWarmup.run();
        TurnbridgeServer server = new TurnbridgeServer(settings, clock);
        try {
            server.relayAddresses = server.relay.start();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public Settings settings() {
        return settings;
    }

    /** Bound UDP relay listener addresses, one per configured listener (ports resolved when 0 was asked). */
    public List<InetSocketAddress> relayAddresses() {
        return relayAddresses;
    }

    public RelayServer relay() {
        return relay;
    }

    public boolean usesEpoll() {
        return transport.epoll();
    }

    @Override
    public void close() {
        relay.close();
        transport.shutdown();
    }
}
