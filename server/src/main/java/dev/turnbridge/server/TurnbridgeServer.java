package dev.turnbridge.server;

import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.stun.StunWarmup;
import dev.turnbridge.relay.transport.NettyTransport;
import dev.turnbridge.relay.transport.RelayServer;
import dev.turnbridge.signaling.SignalingServer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * The composition root: builds event loops, the relay and signaling from one {@link Settings}, starts
 * them in order (relay, then signaling, which needs the relay's bound port) and stops them in reverse. The only place that constructs servers and executors.
 */
public final class TurnbridgeServer implements AutoCloseable {
    private final Settings settings;
    private final NettyTransport transport;
    private final RelayServer relay;
    private final Clock clock;
    private List<InetSocketAddress> relayAddresses = List.of();
    private SignalingServer signaling;
    private List<InetSocketAddress> signalingAddresses = List.of();

    private TurnbridgeServer(Settings settings, Clock clock) {
        this.settings = settings;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.transport = NettyTransport.create(threads, "turnbridge-io", true);
        this.relay = new RelayServer(settings, clock, transport);
        this.clock = clock;
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
            server.startSignaling();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void startSignaling() {
        // Derived TURN URIs must carry the port the relay really bound (settings may say 0).
        int relayPort = relayAddresses.get(0).getPort();
        signaling = new SignalingServer(settings, relayPort, clock, transport.group(), transport.group(),
                transport.serverChannel());
        try {
            signalingAddresses = signaling.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding signaling listeners", e);
        }
    }

    public Settings settings() {
        return settings;
    }

    /** Bound UDP relay listener addresses, one per configured listener (ports resolved when 0 was asked). */
    public List<InetSocketAddress> relayAddresses() {
        return relayAddresses;
    }

    /** Bound HTTP/WebSocket signaling addresses, one per {@code signaling.listen} entry. */
    public List<InetSocketAddress> signalingAddresses() {
        return signalingAddresses;
    }

    public RelayServer relay() {
        return relay;
    }

    public boolean usesEpoll() {
        return transport.epoll();
    }

    @Override
    public void close() {
        if (signaling != null) {
            signaling.close();
        }
        relay.close();
        transport.shutdown();
    }
}
