package dev.turnbridge.server;

import dev.turnbridge.config.RelaySettings;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.relay.stun.StunWarmup;
import dev.turnbridge.relay.transport.NettyTransport;
import dev.turnbridge.relay.transport.RelayServer;
import dev.turnbridge.relay.transport.TlsCertificate;
import dev.turnbridge.server.acme.AcmeService;
import dev.turnbridge.server.ops.OpsServer;
import dev.turnbridge.server.ops.CertificateStatus;
import dev.turnbridge.server.ops.OpsServices;
import dev.turnbridge.server.ops.RelayMetrics;
import dev.turnbridge.server.ops.Throughput;
import dev.turnbridge.signaling.SignalingServer;
import dev.turnbridge.signaling.ice.LeastLoadedRelay;
import dev.turnbridge.signaling.ice.RelayListeners;
import dev.turnbridge.signaling.ice.RelayUris;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.RedisConnection;
import dev.turnbridge.signaling.room.RedisRelayNodes;
import dev.turnbridge.signaling.room.RedisRevocationBus;
import dev.turnbridge.signaling.room.RedisRoomFanout;
import dev.turnbridge.signaling.room.RedisRoomRegistry;
import dev.turnbridge.signaling.room.RoomFanout;
import dev.turnbridge.signaling.session.MembershipListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds event loops, the meter registry, the relay, signaling and the operations
 * listener from one {@link Settings}, starts them in order and stops them in reverse. The only place that
 * constructs servers, executors and meter registries.
 *
 * <p>Start: the ops listener first (so {@code /healthz} answers and {@code /readyz} says why it is not ready),
 * the STUN codec warm-up, the relay listeners, then signaling (which needs the relay's bound port); ready once
 * all are bound. Stop ({@link #close}): signaling, relay (remaining allocations end as {@code shutdown}), ops
 * listener, event loops. A {@link #drain} first refuses new allocations, tells signaling clients to reconnect,
 * and waits for existing allocations to end or for {@code drain.deadline}.
 */
public final class TurnbridgeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TurnbridgeServer.class);
    private static final long DRAIN_POLL_MILLIS = 250;
    private static final long THROUGHPUT_SECONDS = 5;

    private final Settings settings;
    private final NettyTransport transport;
    private final NettyTransport opsTransport;
    private final RelayServer relay;
    private final Clock clock;
    private final SignalingAdapter signalingOps = new SignalingAdapter();
    private final PrometheusMeterRegistry registry;
    private final Throughput throughput;
    private final OpsServer ops;
    private final ScheduledExecutorService timer;
    private final ExecutorService dtlsHandshakes;
    private final ScheduledExecutorService acmeThread;
    private volatile AcmeService acme;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private List<InetSocketAddress> relayAddresses = List.of();
    private volatile SignalingServer signaling;
    /** The Redis of {@code signaling.registry: redis}, or null. */
    private volatile RedisConnection redis;
    /** Publishes this node's relay to the others ({@code relay.nodes: redis}), or null. */
    private RelayAnnouncer relayAnnouncer;
    private List<InetSocketAddress> signalingAddresses = List.of();
    private InetSocketAddress opsAddress;
    private volatile boolean started;
    private CompletableFuture<Void> drain;
    private boolean closed;

    private TurnbridgeServer(Settings settings, Clock clock) {
        this.settings = settings;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.transport = NettyTransport.create(threads, "turnbridge-io", true);
        this.dtlsHandshakes = settings.listeners().dtls().isEmpty() ? null : dtlsHandshakeExecutor();
        this.relay = new RelayServer(settings, clock, transport, dtlsHandshakes, signalingOps);
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.throughput = new Throughput(relay.context().stats());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "turnbridge-timer");
            t.setDaemon(true);
            return t;
        });
        if (settings.metrics().enabled()) {
            this.opsTransport = NettyTransport.create(1, "turnbridge-ops", true);
            OpsServices services = new OpsServices(registry, relay, signalingOps, throughput, this::notReady,
                    () -> drain("admin request"), this::certificateStatus);
            this.ops = new OpsServer(settings, services, opsTransport.group(), opsTransport.serverChannel());
        } else {
            this.opsTransport = null;
            this.ops = null;
        }
        this.clock = clock;
        // ACME orders block on the CA for seconds: one thread of their own, never an event loop
        this.acmeThread = !settings.tls().acme().enabled() ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "turnbridge-acme");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * DTLS handshakes block a thread while they wait for the client's next flight (Bouncy Castle's API), so
     * they get a few threads of their own and a short queue; beyond that a ClientHello is dropped and the client
     * retransmits it. Only clients that returned our cookie (a real address) get this far.
     */
    private static ExecutorService dtlsHandshakeExecutor() {
        int threads = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(64), r -> {
                    Thread t = new Thread(r, "turnbridge-dtls-handshake");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Starts everything; on failure, whatever was started is stopped again before the exception surfaces. */
    public static TurnbridgeServer start(Settings settings) {
        return start(settings, Clock.systemUTC());
    }

    public static TurnbridgeServer start(Settings settings, Clock clock) {
        return start(settings, clock, AcmeService.Timing.DEFAULT);
    }

    /** @param acmeTiming how often ACME checks and retries (tests shorten it) */
    public static TurnbridgeServer start(Settings settings, Clock clock, AcmeService.Timing acmeTiming) {
        TurnbridgeServer server = new TurnbridgeServer(settings, clock);
        try {
            server.bindMeters();
            if (server.ops != null) {
                server.opsAddress = server.ops.start();
            }
            StunWarmup.run();
            // a shared TLS port's HTTP connections go to signaling, which starts after the relay (it needs the
            // relay's bound ports); until then they are closed
            server.relay.shareTlsPortsWith(() -> {
                SignalingServer s = server.signaling;
                return s == null ? null : s.routedHttpsHandler();
            });
            if (settings.tls().acme().enabled()) {
                if (settings.tls().acme().httpListen().isEmpty()
                        && settings.listeners().tls().stream().noneMatch(hp -> hp.port() == 443)) {
                    // fine behind a port forward (443 -> 8443), a failed validation otherwise
                    log.warn("ACME: the CA validates TLS-ALPN-01 on port 443, and no listeners.tls entry is on 443 "
                            + "({}): forward 443 to one of them, or set tls.acme.http-listen for HTTP-01",
                            settings.listeners().tls());
                }
                // the stored certificate, if any, is served from the first connection on
                server.acme = AcmeService.create(settings.tls().acme(), server.relay.certificate(), server.registry,
                        server.acmeThread, clock, acmeTiming);
            }
            server.relayAddresses = server.relay.start();
            server.startSignaling();
            if (server.acme != null) {
                server.acme.start(server.transport.group(), server.transport.serverChannel());
            }
            server.signalingOps.metrics().bindTo(server.registry);
            server.timer.scheduleAtFixedRate(server.throughput::sample, THROUGHPUT_SECONDS, THROUGHPUT_SECONDS,
                    TimeUnit.SECONDS);
            server.started = true;
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void bindMeters() {
        new RelayMetrics(relay).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
            new NettyAllocatorMetrics(allocator).bindTo(registry);
        }
        new NettyEventExecutorMetrics(transport.group()).bindTo(registry);
        Gauge.builder("turnbridge.build.info", () -> 1)
                .description("version of the running build; the value is always 1")
                .tag("version", version())
                .tag("java", System.getProperty("java.version", "unknown"))
                .tag("transport", transport.epoll() ? "epoll" : "nio")
                .register(registry);
        Gauge.builder("turnbridge.ready", this, s -> s.notReady() == null ? 1 : 0)
                .description("1 when every listener is bound and the server is not draining")
                .register(registry);
    }

    /** The build's version from the jar manifest, or {@code dev} when run from classes. */
    public static String version() {
        String v = TurnbridgeServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Why the server is not ready, or null when it is. */
    String notReady() {
        if (!started) {
            return "starting";
        }
        if (relay.draining()) {
            return "draining";
        }
        RedisConnection r = redis;
        if (r != null && !r.isConnected()) {
            return "redis unreachable (signaling.registry: redis)";
        }
        return null;
    }

    private void startSignaling() {
        AsyncRoomRegistry shared = null;
        RoomFanout fanout = RoomFanout.NONE;
        RelayUris relays = TurnUris.of(settings, relayListeners());
        MembershipListener revocation = new RelayRevocation(relay, settings.signaling().turnCredentialTtl(), clock);
        if (SignalingSettings.REGISTRY_REDIS.equals(settings.signaling().registry())) {
            // blocking, once, before anything is served: Redis down at start is one clear error
            redis = RedisConnection.open(settings.redis());
            String node = java.util.UUID.randomUUID().toString();
            shared = new RedisRoomRegistry(redis, node, new java.security.SecureRandom(),
                    settings.signaling().maxRooms(), settings.signaling().roomTtlMax());
            fanout = new RedisRoomFanout(redis, node);
            SharedRevocation everyRelay = new SharedRevocation(revocation);
            RedisRevocationBus bus = new RedisRevocationBus(redis, node, everyRelay);
            // subscribed before anything is served, so no revocation of this node's time is missed
            bus.start().toCompletableFuture().join();
            everyRelay.publishTo(bus);
            revocation = everyRelay;
            log.info("signaling rooms in Redis ({}), node {}", settings.redis().cluster() ? "cluster" : "standalone",
                    node);
            if (RelaySettings.NODES_REDIS.equals(settings.relay().nodes())) {
                LeastLoadedRelay leastLoaded = new LeastLoadedRelay(relays);
                relayAnnouncer = new RelayAnnouncer(node, relays, new RedisRelayNodes(redis), leastLoaded, relay,
                        throughput, clock);
                relayAnnouncer.start(timer);
                relays = leastLoaded;
            }
        }
        Supplier<SslContext> https = null;
        if (!settings.signaling().tlsListen().isEmpty()) {
            TlsCertificate certificate = relay.certificate();
            https = () -> certificate.context(TlsCertificate.Alpn.HTTP);
        }
        signaling = new SignalingServer(settings, relays, clock, transport.group(), transport.group(),
                transport.serverChannel(), https,
                revocation, shared, fanout);
        try {
            signalingAddresses = signaling.start();
            signalingOps.attach(signaling);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding signaling listeners", e);
        }
    }

    /**
     * What derived TURN URIs are built from: the ports the relay really bound (settings may say 0) and, for a
     * configured certificate, a DNS name it covers (the self-signed one covers no name a remote client uses).
     */
    private RelayListeners relayListeners() {
        CertifiedKey certificate = relay.tlsCertificate();
        String name = certificate == null || settings.tls().selfSigned() ? ""
                : RelayListeners.connectableName(certificate.dnsNames());
        if (settings.tls().acme().enabled()) {
            name = settings.tls().acme().domains().get(0); // what the certificate will name, served or not yet
        }
        if (certificate != null && !settings.tls().selfSigned() && name.isEmpty()
                && settings.signaling().turnsHost().isEmpty() && settings.signaling().turnUris().isEmpty()) {
            log.warn("TLS: the certificate names no host a client can connect to ({}); turns: URIs use the relay's "
                    + "address, which clients will not accept: set signaling.turns-host", certificate.dnsNames());
        }
        return new RelayListeners(ports(relayAddresses), ports(relay.tcpAddresses()), ports(relay.tlsAddresses()),
                name);
    }

    private static List<Integer> ports(List<InetSocketAddress> addresses) {
        return addresses.stream().map(InetSocketAddress::getPort).toList();
    }

    public Settings settings() {
        return settings;
    }

    /** The certificate served, for the status page; null while no TLS listener runs. */
    private CertificateStatus certificateStatus() {
        CertifiedKey served = relay.tlsCertificate();
        if (served == null) {
            return null;
        }
        AcmeService automatic = acme;
        String source;
        if (settings.tls().acme().enabled()) {
            source = automatic != null && automatic.certificate() != null
                    ? "ACME (" + settings.tls().acme().directory() + ")"
                    : "self-signed until ACME issues one (" + settings.tls().acme().directory() + ")";
        } else {
            source = settings.tls().selfSigned() ? "self-signed (development)" : settings.tls().certFile();
        }
        return new CertificateStatus(served.dnsNames(), served.leaf().getNotAfter().toInstant(), source,
                automatic == null ? null : automatic.lastFailure());
    }

    /** Automatic certificates, or null without {@code tls.acme.domains}. */
    public AcmeService acme() {
        return acme;
    }

    /** Bound UDP relay listener addresses, one per configured listener (ports resolved when 0 was asked). */
    public List<InetSocketAddress> relayAddresses() {
        return relayAddresses;
    }

    /** Bound TCP relay listener addresses ({@code listeners.tcp}). */
    public List<InetSocketAddress> tcpAddresses() {
        return relay.tcpAddresses();
    }

    /** Bound TLS relay listener addresses ({@code listeners.tls}). */
    public List<InetSocketAddress> tlsAddresses() {
        return relay.tlsAddresses();
    }

    /** The TLS listeners' certificate, or null when {@code listeners.tls} is empty. */
    public CertifiedKey tlsCertificate() {
        return relay.tlsCertificate();
    }

    /** The bound operations listener, or null when {@code metrics.enabled} is false. */
    public InetSocketAddress opsAddress() {
        return opsAddress;
    }

    /** Bound HTTP/WebSocket signaling addresses, one per {@code signaling.listen} entry. */
    public List<InetSocketAddress> signalingAddresses() {
        return signalingAddresses;
    }

    /** Bound HTTPS-only signaling addresses: {@code signaling.tls-listen} entries not shared with the relay. */
    public List<InetSocketAddress> httpsAddresses() {
        return signaling == null ? List.of() : signaling.httpsAddresses();
    }

    /** Bound ports that serve both TURN over TLS and HTTPS/WSS (also in {@link #tlsAddresses}). */
    public List<InetSocketAddress> sharedTlsAddresses() {
        return relay.sharedTlsAddresses();
    }

    public RelayServer relay() {
        return relay;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public boolean usesEpoll() {
        return transport.epoll();
    }

    /** Completes once the server has stopped, after {@link #close} or at the end of a drain. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /**
     * Starts a graceful drain (idempotent): new allocations are refused (300 with an alternate, else 508),
     * signaling clients are told to reconnect, {@code /readyz} answers 503; existing allocations keep relaying
     * until none is left or {@code drain.deadline} passes; then everything stops in order.
     *
     * @return completes when the server has stopped
     */
    public synchronized CompletableFuture<Void> drain(String why) {
        if (drain != null) {
            return drain;
        }
        drain = terminated;
        if (closed) {
            return drain;
        }
        Duration deadline = settings.drain().deadline();
        relay.drain();
        signalingOps.drain();
        log.info("draining ({}): {} allocation(s) left, stopping when they end or in {} s at the latest", why,
                relay.allocationCount(), deadline.toSeconds());
        long until = System.nanoTime() + deadline.toNanos();
        boolean[] stopping = {false}; // only the timer thread touches it
        timer.scheduleWithFixedDelay(() -> {
            int left = relay.allocationCount();
            if (!stopping[0] && (left == 0 || System.nanoTime() - until >= 0)) {
                stopping[0] = true;
                if (left > 0) {
                    log.info("drain deadline passed: ending {} allocation(s)", left);
                } else {
                    log.info("drained: no allocations left");
                }
                // stop from another thread: this one belongs to the timer that close() shuts down
                Thread stop = new Thread(this::close, "turnbridge-stop");
                stop.start();
            }
        }, 0, DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
        return drain;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (acme != null) {
                acme.close();
            }
            if (acmeThread != null) {
                acmeThread.shutdownNow(); // an order in progress is interrupted and dropped
            }
            if (signaling != null) {
                signaling.close();
            }
            if (relayAnnouncer != null) {
                relayAnnouncer.close();
            }
            if (redis != null) {
                redis.close();
            }
            relay.close();
            if (dtlsHandshakes != null) {
                dtlsHandshakes.shutdownNow(); // handshakes still waiting see their sessions closed
            }
            if (ops != null) {
                ops.close();
            }
            timer.shutdownNow();
            transport.shutdown();
            if (opsTransport != null) {
                opsTransport.shutdown();
            }
            registry.close();
            log.info("stopped");
        } finally {
            terminated.complete(null);
        }
    }
}
