package dev.turnbridge.signaling;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.signaling.http.ConnectionLimitHandler;
import dev.turnbridge.signaling.http.OriginPolicy;
import dev.turnbridge.signaling.http.SignalingApi;
import dev.turnbridge.signaling.http.StaticFiles;
import dev.turnbridge.signaling.http.TrustedProxies;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.RelayListeners;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.limit.ConnectionLimiter;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.RoomRegistry;
import dev.turnbridge.signaling.session.SignalingHub;
import dev.turnbridge.signaling.session.SignalingStats;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private final SignalingSettings settings;
    private final EventLoopGroup parentGroup;
    private final EventLoopGroup childGroup;
    private final Class<? extends ServerChannel> channelType;
    private final RoomRegistry rooms;
    private final SignalingHub hub;
    private final SignalingInitializer initializer;
    private final List<Channel> serverChannels = new ArrayList<>();
    private ScheduledFuture<?> sweep;

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
        this.settings = settings.signaling();
        this.parentGroup = parentGroup;
        this.childGroup = childGroup;
        this.channelType = channelType;
        SecureRandom random = new SecureRandom();
        this.rooms = new InMemoryRoomRegistry(random, this.settings.maxRooms(), this.settings.roomTtlMax());
        IceServersIssuer issuer = new IceServersIssuer(settings.auth().secrets().get(0),
                this.settings.turnCredentialTtl(),
                new TurnUris(this.settings.turnUris(), settings.relay().externalAddress(), this.settings.turnsHost(),
                        relay));
        this.hub = new SignalingHub(this.settings, rooms, issuer, clock, random);
        SignalingApi api = new SignalingApi(this.settings, rooms, hub, issuer, settings.auth().secrets().get(0), clock);
        TrustedProxies proxies = new TrustedProxies(this.settings.trustedProxies());
        this.initializer = new SignalingInitializer(this.settings,
                new ConnectionLimitHandler(new ConnectionLimiter(this.settings.connectionsPerIp()), proxies,
                        hub.stats()),
                proxies, new OriginPolicy(this.settings.allowedOrigins()), api, new StaticFiles(), hub, clock);
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
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        sweep = childGroup.next().scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        log.info("signaling listening on {}", bound);
        return List.copyOf(bound);
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
        for (Channel channel : serverChannels) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        serverChannels.clear();
        hub.shutdown();
    }

    /** The room registry (for metrics and tests). */
    public RoomRegistry rooms() {
        return rooms;
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
    public boolean closeRoom(String code) {
        return hub.closeRoom(code);
    }

    /** Tells every client to reconnect later and turns new connections away the same way (graceful drain). */
    public void drain() {
        hub.drain();
    }

    /** The protocol hub (for tests). */
    SignalingHub hub() {
        return hub;
    }
}
