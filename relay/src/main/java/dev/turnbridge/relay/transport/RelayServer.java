package dev.turnbridge.relay.transport;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import dev.turnbridge.credentials.RoomCredential;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationInfo;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.RoomDirectory;
import dev.turnbridge.relay.allocation.RoomShare;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.config.ListenerSettings;
import io.netty.channel.ChannelHandler;
import java.util.function.Supplier;
import dev.turnbridge.config.TlsSettings;
import dev.turnbridge.config.tls.CertifiedKey;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The STUN/TURN relay: one or more UDP server sockets per configured UDP listener (one per event loop with
 * SO_REUSEPORT under epoll), and one TCP server socket per TCP or TLS listener whose connections spread over
 * the event loops, all sharing one {@link RelayContext}. DTLS listeners (RFC 7350) are one UDP socket each, with
 * handshakes on an executor of the caller's. Event loops and that executor are owned by the caller.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    /** A DTLS handshake not finished by then is dropped (BC's own timeout, and the session's watchdog). */
    static final int DTLS_HANDSHAKE_MILLIS = 10_000;
    private static final int DTLS_MIN_SESSIONS = 1024;
    private static final long REVOCATION_SWEEP_SECONDS = 60;

    private final RelayContext context;
    private final NettyTransport transport;
    private final TurnDispatcher dispatcher;
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final RelaySockets relaySockets;
    private final StreamAdmissionHandler streamAdmission;
    // UDP server sockets and live TCP/TLS connections: everything that holds allocations
    private final Set<AllocationOwner> owners = ConcurrentHashMap.newKeySet();
    private final List<InetSocketAddress> tcpBound = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> tlsBound = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> dtlsBound = new CopyOnWriteArrayList<>();
    private final List<DtlsListenerHandler> dtlsListeners = new CopyOnWriteArrayList<>();
    private final Executor dtlsHandshakes;
    private int dtlsHandshakeMillis = DTLS_HANDSHAKE_MILLIS;
    private final List<InetSocketAddress> sharedBound = new CopyOnWriteArrayList<>();
    private TlsCertificate tls;
    private ScheduledFuture<?> tlsReload;
    private Supplier<ChannelHandler> sharedHttp = () -> null;
    private ScheduledFuture<?> revocationSweep;

    public RelayServer(Settings settings, Clock clock, NettyTransport transport) {
        this(settings, clock, transport, null);
    }

    /**
     * @param dtlsHandshakes  runs DTLS handshakes, which block a thread each while they wait for the client
     *                        (a small bounded pool: a full one drops ClientHellos, clients retransmit them);
     *                        required when {@code listeners.dtls} is not empty
     */
    public RelayServer(Settings settings, Clock clock, NettyTransport transport, Executor dtlsHandshakes) {
        this(settings, clock, transport, dtlsHandshakes, RoomDirectory.NONE);
    }

    /** @param directory what signaling knows of room members: user ids for quotas, addresses for strict peers */
    public RelayServer(Settings settings, Clock clock, NettyTransport transport, Executor dtlsHandshakes,
            RoomDirectory directory) {
        this.context = RelayContext.create(settings, clock, directory);
        this.transport = transport;
        this.dtlsHandshakes = dtlsHandshakes;
        this.dispatcher = new TurnDispatcher(context);
        this.relaySockets = new RelaySockets(context, transport);
        this.streamAdmission = new StreamAdmissionHandler(
                new ConnectionsPerAddress(settings.listeners().connectionsPerIp()), context.stats());
    }

    public RelayContext context() {
        return context;
    }

    /**
     * Binds every UDP, TCP and TLS listener; returns the bound UDP addresses, one per configured listener
     * ({@link #tcpAddresses}, {@link #tlsAddresses} tell the others).
     */
    public List<InetSocketAddress> start() {
        KernelBufferCaps.read(KernelBufferCaps.PROC_NET_CORE).clipped(context.settings().relay()).forEach(log::warn);
        revocationSweep = transport.group().next().scheduleWithFixedDelay(
                () -> context.revocations().sweep(context.now() / 1000), REVOCATION_SWEEP_SECONDS,
                REVOCATION_SWEEP_SECONDS, TimeUnit.SECONDS);
        List<InetSocketAddress> udp = startUdp();
        ListenerSettings listeners = context.settings().listeners();
        for (HostPort hp : listeners.tcp()) {
            tcpBound.add(bindStream(hp, null, null));
        }
        if (!listeners.tls().isEmpty()) {
            TlsCertificate certificate = certificate();
            for (HostPort hp : listeners.tls()) {
                if (context.settings().signaling().tlsListen().contains(hp)) {
                    InetSocketAddress bound = bindStream(hp, certificate, () -> sharedHttp.get());
                    sharedBound.add(bound);
                    tlsBound.add(bound);
                } else {
                    tlsBound.add(bindStream(hp, certificate, null));
                }
            }
        }
        startDtls(listeners);
        return udp;
    }

    /**
     * Before {@link #start}: where connections of a shared port (an address in both {@code listeners.tls} and
     * {@code signaling.tls-listen}) that speak HTTP go. The supplier is asked per connection and gives the HTTP
     * pipeline's initializer (without TLS), or null while there is none; such connections are closed.
     */
    public void shareTlsPortsWith(Supplier<ChannelHandler> http) {
        this.sharedHttp = http;
    }

    /**
     * The certificate of the TLS and DTLS listeners, loaded once, then re-read when its files change. HTTPS
     * signaling listeners use it too (the composition root hands it over), so there is one certificate and one
     * reload timer per process.
     */
    public synchronized TlsCertificate certificate() {
        if (tls == null) {
            TlsSettings tlsSettings = context.settings().tls();
            tls = TlsCertificate.load(tlsSettings);
            long interval = tlsSettings.reloadInterval().toMillis();
            if (interval > 0 && !tlsSettings.selfSigned()) {
                tlsReload = transport.group().next().scheduleWithFixedDelay(tls::reloadIfChanged, interval, interval,
                        TimeUnit.MILLISECONDS);
            }
        }
        return tls;
    }

    private void startDtls(ListenerSettings listeners) {
        if (listeners.dtls().isEmpty()) {
            return;
        }
        if (dtlsHandshakes == null) {
            throw new IllegalStateException("listeners.dtls needs a DTLS handshake executor");
        }
        TlsCertificate certificate = certificate();
        // one association holds at most one allocation; room for all of them plus binding-only clients
        int maxSessions = Math.max(DTLS_MIN_SESSIONS, context.settings().quotas().allocationsTotal());
        for (HostPort hp : listeners.dtls()) {
            DtlsListenerHandler handler = new DtlsListenerHandler(dispatcher, relaySockets, certificate,
                    dtlsHandshakes, owners, maxSessions, dtlsHandshakeMillis);
            Channel ch = new Bootstrap()
                    .group(transport.group())
                    .channelFactory(() -> transport.newDatagramChannel(hp.host()))
                    .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                    .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(listeners.maxDatagramSize()))
                    .handler(handler)
                    .bind(hp.host(), hp.port()).syncUninterruptibly().channel();
            channels.add(ch);
            dtlsListeners.add(handler);
            dtlsBound.add((InetSocketAddress) ch.localAddress());
        }
    }

    /** For tests, before {@link #start}: a shorter DTLS handshake timeout. */
    void dtlsHandshakeTimeout(int millis) {
        dtlsHandshakeMillis = millis;
    }

    /** Bound DTLS listener addresses, one per configured listener. */
    public List<InetSocketAddress> dtlsAddresses() {
        return List.copyOf(dtlsBound);
    }

    /** DTLS associations, established or handshaking, across the DTLS listeners. */
    public int dtlsSessionCount() {
        return dtlsListeners.stream().mapToInt(DtlsListenerHandler::sessionCount).sum();
    }

    /**
     * @param sharedHttp for a TLS port shared with HTTPS (an address in {@code signaling.tls-listen} too): where
     *                   its HTTP connections go after the handshake ({@link ProtocolRouter}); null otherwise
     */
    private InetSocketAddress bindStream(HostPort hp, TlsCertificate certificate, Supplier<ChannelHandler> sharedHttp) {
        ListenerSettings listeners = context.settings().listeners();
        int high = listeners.streamWriteBuffer();
        Channel ch = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(new TcpServerInitializer(dispatcher, relaySockets, certificate,
                        listeners.maxDatagramSize(), owners, streamAdmission,
                        listeners.proxyProtocol().contains(hp) ? proxySources(listeners) : null, sharedHttp))
                .bind(hp.host(), hp.port()).syncUninterruptibly().channel();
        channels.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    private static List<dev.turnbridge.config.Cidr> proxySources(ListenerSettings listeners) {
        return listeners.proxyProtocolSources().stream().map(dev.turnbridge.config.Cidr::parse).toList();
    }

    /** Bound shared TLS ports (TURN and HTTPS), also listed in {@link #tlsAddresses}. */
    public List<InetSocketAddress> sharedTlsAddresses() {
        return List.copyOf(sharedBound);
    }

    /** Bound TCP listener addresses, one per configured listener. */
    public List<InetSocketAddress> tcpAddresses() {
        return List.copyOf(tcpBound);
    }

    /** Bound TLS listener addresses, one per configured listener. */
    public List<InetSocketAddress> tlsAddresses() {
        return List.copyOf(tlsBound);
    }

    /** SHA-256 fingerprint of the TLS certificate in use, or null when no TLS listener runs. */
    public String tlsFingerprint() {
        return tls == null ? null : tls.certifiedKey().fingerprintSha256();
    }

    /** Certificate reloads that failed (the working certificate kept); 0 when no TLS listener runs. */
    public long tlsReloadFailures() {
        return tls == null ? 0 : tls.failedReloads();
    }

    /** The TLS certificate in use (the latest reload), or null when no TLS listener runs. */
    public CertifiedKey tlsCertificate() {
        return tls == null ? null : tls.certifiedKey();
    }

    private List<InetSocketAddress> startUdp() {
        List<InetSocketAddress> bound = new ArrayList<>();
        for (HostPort hp : context.settings().listeners().udp()) {
            if (transport.epoll() && hp.port() != 0) {
                ensureUnused(hp);
            }
            InetSocketAddress first = null;
            int sockets = transport.epoll() ? transport.threads() : 1;
            for (int i = 0; i < sockets; i++) {
                // the first bind may pick an ephemeral port; the others must join that same port
                int port = first == null ? hp.port() : first.getPort();
                UdpListenerHandler handler = new UdpListenerHandler(dispatcher, relaySockets, owners);
                Bootstrap b = new Bootstrap()
                        .group(transport.group())
                        .channelFactory(() -> transport.newDatagramChannel(hp.host()))
                        .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                        .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                        .handler(handler);
                transport.configureDatagramReads(b, context.settings().listeners().maxDatagramSize());
                if (transport.epoll()) {
                    b.option(EpollChannelOption.SO_REUSEPORT, true);
                }
                Channel ch = b.bind(hp.host(), port).syncUninterruptibly().channel();
                channels.add(ch);
                if (first == null) {
                    first = (InetSocketAddress) ch.localAddress();
                }
            }
            bound.add(first);
        }
        return bound;
    }

    /**
     * SO_REUSEPORT lets a second process of the same user join a bound port and silently take a share of
     * its clients; a plain bind first turns that mistake into "address already in use".
     */
    private static void ensureUnused(HostPort hp) {
        try (DatagramSocket probe = new DatagramSocket(null)) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port()));
        } catch (IOException e) {
            throw new IllegalStateException("UDP " + hp + " is already in use: " + e.getMessage(), e);
        }
    }

    /** Live allocations across all server sockets. */
    public int allocationCount() {
        return context.quota().live();
    }

    /** Relay ports taken by allocations and reservations. */
    public int relayPortsInUse() {
        return context.ports().inUse();
    }

    public int relayPortCapacity() {
        return context.ports().capacity();
    }

    /**
     * Snapshots every allocation. Allocations are confined to their event loops, so each socket's table is read
     * by a task on its own loop and the parts are joined; the future completes off the loops' critical path.
     */
    public CompletableFuture<List<AllocationInfo>> allocations() {
        return onEveryLoop(table -> table.snapshot().stream().map(Allocation::info).toList())
                .thenApply(parts -> parts.stream().flatMap(List::stream).toList());
    }

    /** Ends (as {@code admin}) every allocation {@code which} selects; completes with how many ended. */
    public CompletableFuture<Integer> endAllocations(Predicate<AllocationInfo> which) {
        return onEveryLoop(table -> table.removeIf(a -> which.test(a.info()), AllocationListener.EndReason.ADMIN))
                .thenApply(parts -> parts.stream().mapToInt(Integer::intValue).sum());
    }

    /**
     * Withdraws a room's relay rights (the room ended): from now on every credential of {@code room} that
     * expires by {@code until} (every one issued so far, when {@code until} is now plus the longest lifetime
     * signaling issues) gets 401 on every request, and the room's allocations end, with their permissions,
     * channels and RFC 6062 connections, on their own event loops. Completes with how many ended.
     */
    public CompletableFuture<Integer> revokeRoom(String room, Instant until) {
        context.revocations().revokeRoom(room, until.getEpochSecond(), context.now() / 1000);
        context.stats().roomsRevoked.increment();
        return endRevoked();
    }

    /** As {@link #revokeRoom}, for one member of a room (it left after the resume grace, or was kicked). */
    public CompletableFuture<Integer> revokeMember(String room, String member, Instant until) {
        context.revocations().revokeMember(room, member, until.getEpochSecond(), context.now() / 1000);
        context.stats().membersRevoked.increment();
        return endRevoked();
    }

    /** Ends every allocation whose credential is now revoked: exactly those the authenticator refuses. */
    private CompletableFuture<Integer> endRevoked() {
        return onEveryLoop(table -> table.removeIf(
                a -> a.room() != null && context.revocations().isRevoked(RoomCredential.of(a.username())),
                AllocationListener.EndReason.REVOKED))
                .thenApply(parts -> parts.stream().mapToInt(Integer::intValue).sum());
    }

    /** The rooms with live allocations that relayed most, most first (status page). */
    public List<RoomShare> topRooms(int n) {
        return context.rooms().top(n);
    }

    /** Stops admitting new allocations (300 or 508 to Allocate); existing ones keep relaying. */
    public void drain() {
        context.gate().drain();
    }

    public boolean draining() {
        return context.gate().draining();
    }

    private <T> CompletableFuture<List<T>> onEveryLoop(Function<AllocationTable, T> task) {
        List<CompletableFuture<T>> parts = new ArrayList<>();
        for (AllocationOwner owner : owners) {
            EventLoop loop = owner.eventLoop();
            if (loop == null) {
                continue;
            }
            CompletableFuture<T> part = new CompletableFuture<>();
            try {
                loop.execute(() -> {
                    try {
                        part.complete(task.apply(owner.allocations()));
                    } catch (RuntimeException e) {
                        part.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                part.completeExceptionally(e); // the loop is shutting down
            }
            parts.add(part);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    @Override
    public void close() {
        if (tlsReload != null) {
            tlsReload.cancel(false);
        }
        if (revocationSweep != null) {
            revocationSweep.cancel(false);
        }
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
        owners.clear();
        tcpBound.clear();
        tlsBound.clear();
        sharedBound.clear();
        dtlsBound.clear();
        dtlsListeners.clear();
    }
}
