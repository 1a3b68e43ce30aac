package dev.turnbridge.signaling;

import dev.turnbridge.config.SignalingSettings;
import dev.turnbridge.signaling.http.BodyLimitAggregator;
import dev.turnbridge.signaling.http.ClientAddressHandler;
import dev.turnbridge.signaling.http.ConnectionLimitHandler;
import dev.turnbridge.signaling.http.HstsHandler;
import dev.turnbridge.signaling.http.HttpGateHandler;
import dev.turnbridge.signaling.http.OriginPolicy;
import dev.turnbridge.signaling.http.RequestDeadlineHandler;
import dev.turnbridge.signaling.http.SignalingApi;
import dev.turnbridge.signaling.http.StaticFiles;
import dev.turnbridge.signaling.http.TrustedProxies;
import dev.turnbridge.signaling.session.SignalingHub;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.ws.RealtimeWebSocketHandler;
import dev.turnbridge.signaling.ws.WebSocketSessionHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline of one signaling connection:
 * <pre>
 * [tls ->] limit (per address, at accept) -> idle -> http codec [-> hsts] -> request deadline -> body aggregator
 *       -> client address (trusted proxies) -> gate (limit answer, Origin, API, static files)
 *       -> WebSocket handshake + protocol (ping/pong) -> frame aggregator -> session
 * </pre>
 * On a port shared with TURN, the relay's router did the handshake and installs this pipeline without {@code tls}.
 * After the handshake the session handler swaps the idle handler for the heartbeat watchdog and removes the
 * gate; Netty's handshaker swaps the HTTP codec for the WebSocket one; the request deadline leaves on the 101.
 */
final class SignalingInitializer extends ChannelInitializer<SocketChannel> {

    static final String WEBSOCKET_PATH = "/ws/v1";

    private final SignalingSettings settings;
    private final ConnectionLimitHandler limit;
    private final TrustedProxies proxies;
    private final OriginPolicy origins;
    private final SignalingApi api;
    private final StaticFiles files;
    private final SignalingHub hub;
    private final Clock clock;
    private final Supplier<SslContext> tls;
    private final HstsHandler hsts;
    private final RealtimeGateway realtime;

    SignalingInitializer(SignalingSettings settings, ConnectionLimitHandler limit, TrustedProxies proxies,
                         OriginPolicy origins, SignalingApi api, StaticFiles files, SignalingHub hub, Clock clock) {
        this(settings, limit, proxies, origins, api, files, hub, clock, null, null);
    }

    /**
     * @param tls  the context of an HTTPS listener, fetched per connection (a reloaded certificate applies to new
     *             connections); null for plain HTTP, or when the TLS handshake is done before this pipeline
     * @param hsts added to responses sent over TLS with a verifiable certificate; null otherwise
     */
    SignalingInitializer(SignalingSettings settings, ConnectionLimitHandler limit, TrustedProxies proxies,
                         OriginPolicy origins, SignalingApi api, StaticFiles files, SignalingHub hub, Clock clock,
                         Supplier<SslContext> tls, HstsHandler hsts) {
        this(settings, limit, proxies, origins, api, files, hub, clock, tls, hsts, null);
    }

    /** @param realtime the Supabase Realtime front-end, or null */
    SignalingInitializer(SignalingSettings settings, ConnectionLimitHandler limit, TrustedProxies proxies,
                         OriginPolicy origins, SignalingApi api, StaticFiles files, SignalingHub hub, Clock clock,
                         Supplier<SslContext> tls, HstsHandler hsts, RealtimeGateway realtime) {
        this.realtime = realtime;
        this.tls = tls;
        this.hsts = hsts;
        this.settings = settings;
        this.limit = limit;
        this.proxies = proxies;
        this.origins = origins;
        this.api = api;
        this.files = files;
        this.hub = hub;
        this.clock = clock;
    }

    /**
     * Frames up to this size are read and answered with {@code too_large}; beyond it Netty closes the
     * connection (1009), so a client cannot make us buffer without bound.
     */
    static int hardFrameLimit(int maxMessageSize) {
        return Math.max(maxMessageSize * 2, maxMessageSize + 4096);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        int max = settings.maxMessageSize();
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.get().newHandler(ch.alloc()));
        }
        p.addLast("limit", limit);
        p.addLast(WebSocketSessionHandler.IDLE_HANDLER,
                new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("http", new HttpServerCodec());
        if (hsts != null) {
            p.addLast("hsts", hsts);
        }
        p.addLast("deadline", new RequestDeadlineHandler(settings.requestTimeout().toMillis(),
                hub.stats().requestTimeouts::increment));
        p.addLast("body", new BodyLimitAggregator(max));
        p.addLast("client", new ClientAddressHandler(proxies, limit));
        p.addLast("gate", new HttpGateHandler(WEBSOCKET_PATH, origins, api, files, realtime,
                (pipeline, vsn) -> RealtimeWebSocketHandler.install(pipeline, realtime, vsn, max, hardFrameLimit(max),
                        settings.heartbeatTimeout())));
        p.addLast("ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WEBSOCKET_PATH)
                .checkStartsWith(true)
                .maxFramePayloadLength(hardFrameLimit(max))
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                .build()));
        p.addLast("frames", new WebSocketFrameAggregator(hardFrameLimit(max)));
        p.addLast("session", new WebSocketSessionHandler(hub, max, settings.heartbeatTimeout(), clock,
                settings.messageRate(), settings.messageBurst()));
    }
}
