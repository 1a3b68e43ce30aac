package dev.turnbridge.signaling;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.JwtSettings;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.AccessStats;
import dev.turnbridge.signaling.access.JoinTokens;
import dev.turnbridge.signaling.access.JwksSource;
import dev.turnbridge.signaling.access.JwtVerifier;
import dev.turnbridge.signaling.access.TokenVerifier;
import dev.turnbridge.signaling.http.ConnectionLimitHandler;
import dev.turnbridge.signaling.http.HstsHandler;
import dev.turnbridge.signaling.http.OriginPolicy;
import dev.turnbridge.signaling.http.SignalingApi;
import dev.turnbridge.signaling.http.StaticFiles;
import dev.turnbridge.signaling.http.TrustedProxies;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.RelayListeners;
import dev.turnbridge.signaling.ice.RelayUris;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.limit.ConnectionLimiter;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomFanout;
import dev.turnbridge.signaling.room.RoomRegistry;
import dev.turnbridge.signaling.session.MembershipListener;
import dev.turnbridge.signaling.session.SignalingHub;
import dev.turnbridge.signaling.session.SignalingStats;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebRTC signaling over HTTP + WebSocket: rooms, presence, resume, and TURN credentials for room members,
 * issued with the relay's secret. The composition root owns the event loops and the start/stop order
 * (start after the relay, close before it).
 *
 * <pre>
 * SignalingServer signaling = new SignalingServer(settings, relayListeners, clock, bossGroup, workerGroup,
 *         NioServerSocketChannel.class);
 * List&lt;InetSocketAddress&gt; bound = signaling.start();
 * ...
 * signaling.close();
 * </pre>
 */
public final class SignalingServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SignalingServer.class);
    /** How often the hub's timers run: fine enough for a 30 s resume grace and second-granular expiries. */
    private static final long SWEEP_MILLIS = 250;
    /** How often the status page's list of a shared registry's rooms is fetched again. */
    private static final long ROOM_LIST_SECONDS = 5;
    /** How often an open server on a public address says so again. */
    private static final Duration OPEN_WARNING_INTERVAL = Duration.ofHours(1);

    private final SignalingSettings settings;
    private final EventLoopGroup parentGroup;
    private final EventLoopGroup childGroup;
    private final Class<? extends ServerChannel> channelType;
    private final RoomRegistry rooms;
    /** The registry the hub and the API use: {@link #rooms} answering at once, or a shared one (Redis). */
    private final AsyncRoomRegistry sharedRooms;
    /** The last list of a shared registry's rooms, refreshed in the background for the status page and gauges. */
    private volatile List<Room> roomList = List.of();
    private volatile int roomCount;
    /** When {@link #roomList()} was last asked for, and when the list was last read (nanoTime). */
    private volatile long roomListAskedAt = System.nanoTime() - TimeUnit.HOURS.toNanos(1);
    private long roomListReadAt = System.nanoTime() - TimeUnit.HOURS.toNanos(1);
    private ScheduledFuture<?> roomListRefresh;
    private final SignalingHub hub;
    private final SignalingInitializer initializer;
    private final SignalingInitializer httpsInitializer;
    private final SignalingInitializer routedInitializer;
    private final List<HostPort> ownTlsListen;
    private final List<Channel> serverChannels = new ArrayList<>();
    private final AccessControl access;
    private final List<InetSocketAddress> httpsBound = new ArrayList<>();
    private ScheduledFuture<?> sweep;
    private ScheduledFuture<?> openWarning;

    /** Uses the relay's configured listener ports for derived TURN URIs, and NIO server channels. */
    public SignalingServer(Settings settings, Clock clock, EventLoopGroup parentGroup, EventLoopGroup childGroup) {
        this(settings, RelayListeners.configured(settings), clock, parentGroup, childGroup,
                NioServerSocketChannel.class);
    }

    /** Derives only {@code stun:} and UDP {@code turn:} URIs, for the relay's bound UDP port. */
    public SignalingServer(Settings settings, int relayUdpPort, Clock clock, EventLoopGroup parentGroup,
                           EventLoopGroup childGroup, Class<? extends ServerChannel> channelType) {
        this(settings, RelayListeners.udpOnly(relayUdpPort), clock, parentGroup, childGroup, channelType);
    }

    /**
     * @param settings     the whole settings: the signaling section, the first auth secret (issues TURN
     *                     credentials), the relay's external address
     * @param relay        the relay's bound listener ports and certificate name, used in derived TURN URIs
     *                     (matters when a port was 0)
     * @param clock        time for expiries, grace periods, credentials and rate limits
     * @param parentGroup  accepts connections
     * @param childGroup   serves connections and runs the timers
     * @param channelType  server channel class matching the groups (NIO or epoll)
     */
    public SignalingServer(Settings settings, RelayListeners relay, Clock clock, EventLoopGroup parentGroup,
                           EventLoopGroup childGroup, Class<? extends ServerChannel> channelType) {
        this(settings, relay, clock, parentGroup, childGroup, channelType, null, MembershipListener.NONE);
    }

    /**
     * @param tls        the context of {@code signaling.tls-listen} listeners (the relay's certificate, ALPN
     *                   {@code http/1.1}), fetched per connection; required when {@code signaling.tls-listen} is
     *                   not empty
     * @param membership told when a room ends or a member leaves for good (the composition root revokes their
     *                   relay credentials)
     */
    public SignalingServer(Settings settings, RelayListeners relay, Clock clock, EventLoopGroup parentGroup,
                           EventLoopGroup childGroup, Class<? extends ServerChannel> channelType,
                           Supplier<SslContext> tls, MembershipListener membership) {
        this(settings, TurnUris.of(settings, relay), clock, parentGroup, childGroup, channelType, tls, membership,
                null, RoomFanout.NONE);
    }

    /**
     * @param relays which relay members' {@code iceServers} name: this node's ({@link TurnUris}), or the
     *               least-loaded of several ({@code relay.nodes: redis})
     * @param shared a registry shared by several nodes ({@code signaling.registry: redis}), built by the
     *               composition root; null: rooms in this process
     * @param fanout carries a room's traffic to its members on other nodes ({@link RoomFanout#NONE}: none)
     */
    public SignalingServer(Settings settings, RelayUris relays, Clock clock, EventLoopGroup parentGroup,
                           EventLoopGroup childGroup, Class<? extends ServerChannel> channelType,
                           Supplier<SslContext> tls, MembershipListener membership, AsyncRoomRegistry shared,
                           RoomFanout fanout) {
        this.settings = settings.signaling();
        this.parentGroup = parentGroup;
        this.childGroup = childGroup;
        this.channelType = channelType;
        SecureRandom random = new SecureRandom();
        this.rooms = shared != null ? null
                : new InMemoryRoomRegistry(random, this.settings.maxRooms(), this.settings.roomTtlMax());
        this.sharedRooms = shared != null ? shared : AsyncRoomRegistry.of(rooms);
        IceServersIssuer issuer = new IceServersIssuer(settings.auth().secrets().get(0),
                this.settings.turnCredentialTtl(), relays);
        this.access = accessControl(settings, clock);
        this.hub = new SignalingHub(this.settings, sharedRooms, fanout, issuer, clock, random, access, membership);
        SignalingApi api = new SignalingApi(this.settings, sharedRooms, hub, issuer, settings.auth().secrets().get(0),
                clock);
        TrustedProxies proxies = new TrustedProxies(this.settings.trustedProxies());
        // one limiter for every listener: connections-per-ip counts a client's connections on all of them
        ConnectionLimitHandler limit = new ConnectionLimitHandler(
                new ConnectionLimiter(this.settings.connectionsPerIp()), proxies, hub.stats());
        OriginPolicy origins = new OriginPolicy(this.settings.allowedOrigins());
        StaticFiles files = new StaticFiles();
        // the Realtime front-end keeps its rooms in this process (the validator refuses it with redis)
        RealtimeGateway realtime = rooms == null ? null : new RealtimeGateway(this.settings, hub, rooms, clock);
        this.initializer = new SignalingInitializer(this.settings, limit, proxies, origins, api, files, hub, clock,
                null, null, realtime);
        HstsHandler hsts = settings.tls().verifiable() ? new HstsHandler() : null;
        this.httpsInitializer = tls == null ? null
                : new SignalingInitializer(this.settings, limit, proxies, origins, api, files, hub, clock, tls, hsts,
                        realtime);
        this.routedInitializer = new SignalingInitializer(this.settings, limit, proxies, origins, api, files, hub,
                clock, null, hsts, realtime);
        // addresses in listeners.tls too are bound by the relay, which routes their HTTP connections here
        this.ownTlsListen = this.settings.tlsListen().stream()
                .filter(hp -> !settings.listeners().tls().contains(hp)).toList();
        if (!ownTlsListen.isEmpty() && tls == null) {
            throw new IllegalArgumentException("signaling.tls-listen needs a TLS context");
        }
    }

    /**
     * The HTTP pipeline for a connection of a port shared with TURN whose TLS handshake is done: the relay's
     * router installs it, with every limit of the HTTPS listeners.
     */
    public ChannelHandler routedHttpsHandler() {
        return routedInitializer;
    }

    /**
     * {@code signaling.access} as configured: in jwt mode a verifier with the HS256 secret and/or a JWKS (file
     * read now, URL fetched in the background by the JDK's HTTP client, never on an event loop).
     */
    private static AccessControl accessControl(Settings settings, Clock clock) {
        SignalingSettings s = settings.signaling();
        AccessMode mode = AccessMode.of(s.access());
        TokenVerifier idp = null;
        if (mode == AccessMode.JWT) {
            JwtSettings jwt = s.jwt();
            JwksSource jwks = null;
            if (!jwt.jwksUrl().isEmpty()) {
                HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(Duration.ofSeconds(5)).build();
                jwks = JwksSource.url(URI.create(jwt.jwksUrl()), client, ForkJoinPool.commonPool(), clock,
                        jwt.jwksRefresh(), jwt.jwksMinRefresh());
            } else if (!jwt.jwksFile().isEmpty()) {
                jwks = JwksSource.file(Path.of(jwt.jwksFile()), ForkJoinPool.commonPool(), clock, jwt.jwksRefresh(),
                        jwt.jwksMinRefresh());
            }
            if (jwks != null) {
                jwks.load();
            }
            idp = new JwtVerifier(jwt.secret().isEmpty() ? List.of() : List.of(jwt.secret().bytes()), jwks,
                    new JwtVerifier.Rules(jwt.issuer(), jwt.audience(), jwt.clockSkew(), jwt.requiredClaims()),
                    clock);
        }
        return new AccessControl(mode, s.apiKey(), idp, new JoinTokens(settings.auth().secrets(), clock));
    }

    /**
     * Why this server is open to abuse, for the log and the status page: open access on an address other
     * than loopback. Empty otherwise.
     */
    public Optional<String> accessWarning() {
        if (access.mode() != AccessMode.OPEN) {
            return Optional.empty();
        }
        List<HostPort> exposed = settings.listen().stream().filter(hp -> !isLoopback(hp.host())).toList();
        if (exposed.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("signaling.access is open on " + exposed + ": anyone who reaches it can create rooms "
                + "and get TURN credentials (an open relay); use jwt or api-key outside development");
    }

    private static boolean isLoopback(String host) {
        if ("localhost".equals(host)) {
            return true;
        }
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress(); // an IP literal (validated): no lookup
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Binds every listen address; returns the bound addresses in the configured order. */
    public synchronized List<InetSocketAddress> start() throws InterruptedException {
        if (!serverChannels.isEmpty()) {
            throw new IllegalStateException("already started");
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(parentGroup, childGroup)
                .channel(channelType)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
        List<InetSocketAddress> bound = new ArrayList<>();
        try {
            for (HostPort listen : settings.listen()) {
                Channel channel = bootstrap.bind(listen.host(), listen.port()).sync().channel();
                serverChannels.add(channel);
                bound.add((InetSocketAddress) channel.localAddress());
            }
            for (HostPort listen : ownTlsListen) {
                Channel channel = bootstrap.clone().childHandler(httpsInitializer)
                        .bind(listen.host(), listen.port()).sync().channel();
                serverChannels.add(channel);
                httpsBound.add((InetSocketAddress) channel.localAddress());
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        sweep = childGroup.next().scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        if (rooms == null) {
            roomListRefresh = childGroup.next().scheduleAtFixedRate(this::refreshRooms, 0, ROOM_LIST_SECONDS,
                    TimeUnit.SECONDS);
        }
        log.info("signaling listening on {}{} (access: {})", bound,
                httpsBound.isEmpty() ? "" : ", https on " + httpsBound, access.mode().setting());
        if (access.mode() == AccessMode.OPEN) {
            log.warn("*** OPEN ACCESS: anyone may create rooms, join them and get TURN credentials; for development "
                    + "only (set signaling.access: jwt or api-key, see docs/deploy.md) ***");
        }
        accessWarning().ifPresent(warning -> {
            log.warn(warning);
            long every = OPEN_WARNING_INTERVAL.toMillis();
            openWarning = childGroup.next().scheduleAtFixedRate(() -> log.warn(warning), every, every,
                    TimeUnit.MILLISECONDS);
        });
        return List.copyOf(bound);
    }

    /** Bound HTTPS listeners of {@code signaling.tls-listen} that this server binds (not the shared ports). */
    public synchronized List<InetSocketAddress> httpsAddresses() {
        return List.copyOf(httpsBound);
    }

    private void sweep() {
        try {
            hub.sweep();
        } catch (RuntimeException e) {
            log.warn("signaling sweep failed", e);
        }
    }

    /** Stops accepting, tells every client the server is going away, and unbinds. */
    @Override
    public synchronized void close() {
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
        if (roomListRefresh != null) {
            roomListRefresh.cancel(false);
            roomListRefresh = null;
        }
        if (openWarning != null) {
            openWarning.cancel(false);
            openWarning = null;
        }
        for (Channel channel : serverChannels) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        serverChannels.clear();
        httpsBound.clear();
        hub.shutdown();
    }

    /** The in-memory room registry (tests); null with a shared registry. */
    public RoomRegistry rooms() {
        return rooms;
    }

    /**
     * Live rooms for the status page and the admin list: the in-memory registry's now, or a shared registry's
     * as fetched in the background (never waited for): at most {@value #ROOM_LIST_SECONDS} s ago while someone
     * looks, and up to a minute old at the first look after a minute without one.
     */
    public List<Room> roomList() {
        roomListAskedAt = System.nanoTime();
        return rooms != null ? rooms.list() : roomList;
    }

    /** How many rooms are live: this process's, or the shared registry's as counted at most 5 s ago. */
    public int roomCount() {
        return rooms != null ? rooms.list().size() : roomCount;
    }

    /**
     * With a shared registry: counts the rooms every {@value #ROOM_LIST_SECONDS} s (one command), and reads
     * the whole list (2 commands per room) as often only while someone looks at it (the status page, the admin
     * API), else once a minute.
     */
    private void refreshRooms() {
        long now = System.nanoTime();
        sharedRooms.count(java.time.Instant.now()).whenComplete((n, failure) -> {
            if (n != null) {
                roomCount = n;
            }
        });
        boolean watched = now - roomListAskedAt < TimeUnit.MINUTES.toNanos(1);
        if (!watched && now - roomListReadAt < TimeUnit.MINUTES.toNanos(1)) {
            return;
        }
        roomListReadAt = now;
        sharedRooms.list().whenComplete((list, failure) -> {
            if (list != null) {
                roomList = list;
            }
        });
    }

    /** Counters for the composition root to bind to meters. */
    public SignalingStats stats() {
        return hub.stats();
    }

    /** Open WebSocket connections. */
    public int connectionCount() {
        return hub.connectionCount();
    }

    /** Closes a room now, telling its members; false when there is no such room. */
    public java.util.concurrent.CompletionStage<Boolean> closeRoom(String code) {
        return hub.closeRoom(code);
    }

    /** Removes one member of a room now, telling it and the others; false when there is no such member. */
    public boolean kick(String code, String peerId) {
        return hub.kick(code, peerId);
    }

    /** Source addresses of the signaling connections of a room's members (strict peers on the relay). */
    public java.util.Set<java.net.InetAddress> memberAddresses(String code) {
        return hub.memberAddresses(code);
    }

    /** Tells every client to reconnect later and turns new connections away the same way (graceful drain). */
    public void drain() {
        hub.drain();
    }

    /** Authentication outcomes by mode, for the composition root to bind to meters. */
    public AccessStats accessStats() {
        return access.stats();
    }

    /** The access mode in force. */
    public AccessMode accessMode() {
        return access.mode();
    }

    /**
     * The verified user id ({@code sub}) of a room member, for the relay's per-user quotas: room code and peer
     * id as they appear in the TURN username {@code <expiry>:<room>:<peer>}. Empty for an unknown member or in
     * open mode.
     */
    public Optional<String> userId(String roomCode, String peerId) {
        return hub.userId(roomCode, peerId);
    }

    /** The protocol hub (for tests). */
    SignalingHub hub() {
        return hub;
    }
}
