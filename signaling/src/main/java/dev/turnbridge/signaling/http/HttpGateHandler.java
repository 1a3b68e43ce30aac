package dev.turnbridge.signaling.http;

import dev.turnbridge.signaling.access.AuthResult;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.access.Refusal;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.realtime.RestAnswer;
import dev.turnbridge.signaling.realtime.Vsn;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Every HTTP request passes here first: the per-IP limit, the Origin check, then the API, the static files,
 * or (for the WebSocket path) on to Netty's handshake. One instance per connection.
 *
 * <p>Bearers are verified here, before the API or the handshake sees the request: {@code access_token=} on the
 * WebSocket upgrade (browsers cannot set headers on it), {@code Authorization: Bearer} on the API. A
 * verification that must wait for signing keys continues on this channel's event loop when they arrive, with
 * reading paused meanwhile, so requests on one connection are still answered in order.
 */
public final class HttpGateHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** The identity the WebSocket upgrade's access token proved, for the session handler. */
    public static final AttributeKey<Identity> IDENTITY = AttributeKey.valueOf("turnbridge.signaling.identity");

    private final String webSocketPath;
    private final OriginPolicy origins;
    private final SignalingApi api;
    private final StaticFiles files;
    private final RealtimeGateway realtime;
    private final RealtimeUpgrade realtimeUpgrade;

    /** Puts the Realtime protocol's handlers in the pipeline before its upgrade request goes on. */
    public interface RealtimeUpgrade {
        void install(ChannelPipeline pipeline, Vsn vsn);
    }

    public HttpGateHandler(String webSocketPath, OriginPolicy origins, SignalingApi api, StaticFiles files) {
        this(webSocketPath, origins, api, files, null, null);
    }

    /** With the Supabase Realtime front-end ({@code /realtime/v1/...}) when {@code realtime} is not null. */
    public HttpGateHandler(String webSocketPath, OriginPolicy origins, SignalingApi api, StaticFiles files,
                           RealtimeGateway realtime, RealtimeUpgrade realtimeUpgrade) {
        super(true);
        this.webSocketPath = webSocketPath;
        this.origins = origins;
        this.api = api;
        this.files = files;
        this.realtime = realtime;
        this.realtimeUpgrade = realtimeUpgrade;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (Boolean.TRUE.equals(ctx.channel().attr(ConnectionLimitHandler.OVER_LIMIT).get())) {
            api.refuse(ErrorCode.RATE_LIMITED, null); // counted
            HttpResponses.write(ctx, HttpResponses.error(ErrorCode.RATE_LIMITED,
                    "too many connections from this address"), false);
            return;
        }
        if (!request.decoderResult().isSuccess()) {
            HttpResponses.write(ctx, HttpResponses.error(ErrorCode.BAD_MESSAGE, "malformed request"), false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
        String path = uri.path();
        HttpHeaders headers = request.headers();
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        String host = headers.get(HttpHeaderNames.HOST);

        if (path.equals(webSocketPath)) {
            if (!origins.allows(origin, host)) {
                HttpResponses.write(ctx, HttpResponses.error(ErrorCode.UNAUTHORIZED, "origin not allowed"), false);
            } else if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                    || !HttpMethod.GET.equals(request.method())) {
                HttpResponses.write(ctx, HttpResponses.error(ErrorCode.BAD_MESSAGE, "WebSocket upgrade required"),
                        keepAlive);
            } else {
                authenticated(ctx, request, first(uri.parameters(), "access_token"), auth -> {
                    if (auth.isOk()) {
                        ctx.channel().attr(IDENTITY).set(auth.identity());
                        ctx.fireChannelRead(request.retain());
                    } else {
                        HttpResponses.write(ctx, toHttp(api.refuse(ErrorCode.UNAUTHORIZED, auth.message())), false);
                    }
                });
            }
            return;
        }
        if (path.startsWith(REALTIME_PREFIX) && realtime != null && realtime.enabled()) {
            realtime(ctx, request, uri, path, origin, host, keepAlive);
            return;
        }
        if (path.startsWith("/api/")) {
            if (!origins.allows(origin, host)) {
                HttpResponses.write(ctx, HttpResponses.error(ErrorCode.UNAUTHORIZED, "origin not allowed"), keepAlive);
                return;
            }
            if (HttpMethod.OPTIONS.equals(request.method())) {
                respond(ctx, preflight(), origin, keepAlive);
            } else if (needsIdentity(request.method(), path)) {
                String bearer = SignalingApi.bearer(headers.get(HttpHeaderNames.AUTHORIZATION));
                authenticated(ctx, request, bearer, auth -> respond(ctx,
                        api(request, uri, path, host, ClientAddressHandler.clientOf(ctx.channel()), auth), origin, keepAlive));
            } else {
                respond(ctx, api(request, uri, path, host, ClientAddressHandler.clientOf(ctx.channel()), null),
                        origin, keepAlive);
            }
            return;
        }
        HttpMethod method = request.method();
        StaticFiles.File file = files.get(path).orElse(null);
        if (file == null || !(HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))) {
            HttpResponses.write(ctx, HttpResponses.bytes(404, "not found\n".getBytes(StandardCharsets.US_ASCII),
                    "text/plain; charset=utf-8"), keepAlive);
            return;
        }
        FullHttpResponse response = HttpResponses.bytes(200, HttpMethod.HEAD.equals(method) ? new byte[0] : file.bytes(),
                file.contentType());
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, file.bytes().length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        // A module script from another origin (an app importing /signaling.js) needs CORS, like the API.
        response.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        if (origin != null && origins.allows(origin, host)) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        HttpResponses.write(ctx, response, keepAlive);
    }

    static final String REALTIME_PREFIX = "/realtime/v1/";

    /**
     * The Supabase Realtime front-end: the WebSocket ({@code apikey} and {@code vsn} checked before the upgrade),
     * {@code POST api/broadcast} and {@code GET ice-servers}, whose user's JWT comes as {@code Authorization}.
     */
    private void realtime(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, String path,
                          String origin, String host, boolean keepAlive) {
        HttpHeaders headers = request.headers();
        if (!origins.allows(origin, host)) {
            HttpResponses.write(ctx, HttpResponses.error(ErrorCode.UNAUTHORIZED, "origin not allowed"), false);
            return;
        }
        if (HttpMethod.OPTIONS.equals(request.method())) {
            FullHttpResponse preflight = preflight();
            preflight.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type, apikey, x-client-info");
            respond(ctx, preflight, origin, keepAlive);
            return;
        }
        if (path.equals(REALTIME_PREFIX + "websocket")) {
            Vsn vsn = Vsn.of(first(uri.parameters(), "vsn")).orElse(null);
            if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                    || !HttpMethod.GET.equals(request.method())) {
                HttpResponses.write(ctx, HttpResponses.error(ErrorCode.BAD_MESSAGE, "WebSocket upgrade required"),
                        keepAlive);
            } else if (!realtime.isApiKey(first(uri.parameters(), "apikey"))) {
                HttpResponses.write(ctx, realtimeHttp(RestAnswer.INVALID_API_KEY), false);
            } else if (vsn == null) {
                HttpResponses.write(ctx, realtimeHttp(RestAnswer.message(400, "vsn: 1.0.0 or 2.0.0")), false);
            } else {
                realtimeUpgrade.install(ctx.pipeline(), vsn);
                ctx.fireChannelRead(request.retain());
            }
            return;
        }
        String apikey = headers.get("apikey");
        if (apikey == null) {
            apikey = first(uri.parameters(), "apikey");
        }
        String key = apikey;
        String bearer = realtime.userToken(SignalingApi.bearer(headers.get(HttpHeaderNames.AUTHORIZATION)));
        InetAddress client = ClientAddressHandler.clientOf(ctx.channel());
        String one = REALTIME_PREFIX + "api/broadcast/";
        int events = path.indexOf("/events/");
        if (!realtime.isApiKey(key)) {
            respond(ctx, realtimeHttp(RestAnswer.INVALID_API_KEY), origin, keepAlive);
        } else if (path.startsWith(one) && events > one.length() && HttpMethod.POST.equals(request.method())) {
            String subTopic = QueryStringDecoder.decodeComponent(path.substring(one.length(), events));
            String event = QueryStringDecoder.decodeComponent(path.substring(events + "/events/".length()));
            String body = request.content().toString(StandardCharsets.UTF_8);
            withBearer(ctx, request, bearer, auth -> respond(ctx,
                    realtimeHttp(realtime.broadcastOne(key, auth, subTopic, event, body, client)), origin, keepAlive));
        } else if (path.equals(REALTIME_PREFIX + "api/broadcast") && HttpMethod.POST.equals(request.method())) {
            String body = request.content().toString(StandardCharsets.UTF_8);
            withBearer(ctx, request, bearer, auth -> respond(ctx,
                    realtimeHttp(realtime.broadcast(key, auth, body, client)), origin, keepAlive));
        } else if (path.equals(REALTIME_PREFIX + "ice-servers") && HttpMethod.GET.equals(request.method())) {
            String topic = first(uri.parameters(), "topic");
            withBearer(ctx, request, bearer, auth -> respond(ctx,
                    realtimeHttp(realtime.iceServers(key, auth, topic, host)), origin, keepAlive));
        } else {
            respond(ctx, HttpResponses.bytes(404, "not found\n".getBytes(StandardCharsets.US_ASCII),
                    "text/plain; charset=utf-8"), origin, keepAlive);
        }
    }

    /** {@code then} with the verified bearer, or with null when there is none to verify. */
    private void withBearer(ChannelHandlerContext ctx, FullHttpRequest request, String bearer,
                            Consumer<AuthResult> then) {
        if (bearer == null) {
            then.accept(null);
        } else {
            authenticated(ctx, request, bearer, then);
        }
    }

    private static FullHttpResponse realtimeHttp(RestAnswer answer) {
        return HttpResponses.json(answer.status(), answer.body());
    }

    /** Room creation and room lookups act for a verified caller; the other routes check their own bearer. */
    private static boolean needsIdentity(HttpMethod method, String path) {
        return (path.equals("/api/rooms") && HttpMethod.POST.equals(method))
                || (path.startsWith("/api/rooms/") && path.indexOf('/', "/api/rooms/".length()) < 0
                        && HttpMethod.GET.equals(method));
    }

    /**
     * Runs {@code then} with the verified bearer: at once when the verifier answers at once, else on this
     * channel's event loop once it does, with reads paused and the request retained until then.
     */
    private void authenticated(ChannelHandlerContext ctx, FullHttpRequest request, String bearer,
                               Consumer<AuthResult> then) {
        CompletableFuture<AuthResult> result = api.access().authenticate(bearer);
        if (result.isDone()) {
            then.accept(outcome(result));
            return;
        }
        request.retain();
        ctx.channel().config().setAutoRead(false);
        result.whenComplete((r, e) -> {
            try {
                ctx.executor().execute(() -> {
                    try {
                        ctx.channel().config().setAutoRead(true);
                        if (ctx.channel().isActive()) {
                            then.accept(outcome(result));
                        }
                    } finally {
                        request.release();
                    }
                });
            } catch (RejectedExecutionException shuttingDown) {
                request.release();
            }
        });
    }

    private static AuthResult outcome(CompletableFuture<AuthResult> result) {
        AuthResult r = result.isCompletedExceptionally() ? null : result.join();
        return r != null ? r : AuthResult.refused(Refusal.KEYS_UNAVAILABLE);
    }

    /**
     * Answers once the API has: at once when it already has (in-memory rooms), else on this channel's event
     * loop, with reads paused meanwhile. The response is built there, so nothing is allocated for a channel
     * that has closed in between.
     */
    private static void respond(ChannelHandlerContext ctx, CompletionStage<Supplier<FullHttpResponse>> answer,
                                String origin, boolean keepAlive) {
        CompletableFuture<Supplier<FullHttpResponse>> future = answer.toCompletableFuture();
        if (future.isDone() && !future.isCompletedExceptionally()) {
            respond(ctx, future.join().get(), origin, keepAlive);
            return;
        }
        ctx.channel().config().setAutoRead(false);
        future.whenComplete((response, failure) -> {
            try {
                ctx.executor().execute(() -> {
                    ctx.channel().config().setAutoRead(true);
                    if (ctx.channel().isActive()) {
                        respond(ctx, failure == null ? response.get()
                                : HttpResponses.error(ErrorCode.UNAVAILABLE, null), origin, keepAlive);
                    }
                });
            } catch (RejectedExecutionException shuttingDown) {
                // the event loop is gone, and the channel with it
            }
        });
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpResponse response, String origin,
                                boolean keepAlive) {
        if (origin != null) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        HttpResponses.write(ctx, response, keepAlive);
    }

    private CompletionStage<Supplier<FullHttpResponse>> api(FullHttpRequest request, QueryStringDecoder uri, String path, String host,
            InetAddress client, AuthResult auth) {
        HttpMethod method = request.method();
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (path.equals("/api/rooms")) {
            if (!HttpMethod.POST.equals(method)) {
                return done(() -> HttpResponses.empty(405));
            }
            return later(api.createRoom(request.content().toString(StandardCharsets.UTF_8), client, auth));
        }
        if (path.equals("/api/turn")) {
            if (!api.turnEnabled()) {
                return done(() -> HttpResponses.bytes(404, "not found\n".getBytes(StandardCharsets.US_ASCII),
                        "text/plain; charset=utf-8"));
            }
            if (!HttpMethod.GET.equals(method)) {
                return done(() -> HttpResponses.empty(405));
            }
            Map<String, List<String>> q = uri.parameters();
            ApiResponse turn = api.turn(first(q, "service"), first(q, "username"), first(q, "key"), authorization,
                    host);
            return done(() -> toHttp(turn));
        }
        if (path.startsWith("/api/rooms/")) {
            String rest = path.substring("/api/rooms/".length());
            int slash = rest.indexOf('/');
            if (slash >= 0 && rest.substring(slash).equals("/tokens")) {
                return HttpMethod.POST.equals(method)
                        ? later(api.mintJoinToken(rest.substring(0, slash),
                                request.content().toString(StandardCharsets.UTF_8), authorization))
                        : done(() -> HttpResponses.empty(405));
            }
            if (!HttpMethod.GET.equals(method)) {
                return done(() -> HttpResponses.empty(405));
            }
            if (slash < 0) {
                return later(api.room(rest, client, auth));
            }
            if (rest.substring(slash).equals("/ice-servers")) {
                ApiResponse ice = api.iceServers(rest.substring(0, slash), authorization, host);
                return done(() -> toHttp(ice));
            }
        }
        return done(() -> HttpResponses.bytes(404, "not found\n".getBytes(StandardCharsets.US_ASCII),
                "text/plain; charset=utf-8"));
    }

    private static CompletionStage<Supplier<FullHttpResponse>> done(Supplier<FullHttpResponse> response) {
        return CompletableFuture.completedFuture(response);
    }

    private static CompletionStage<Supplier<FullHttpResponse>> later(CompletionStage<ApiResponse> response) {
        return response.thenApply(r -> () -> toHttp(r));
    }

    private static FullHttpResponse preflight() {
        FullHttpResponse response = HttpResponses.empty(204);
        response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
        response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
        response.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        return response;
    }

    private static FullHttpResponse toHttp(ApiResponse response) {
        FullHttpResponse http = HttpResponses.json(response.status(), response.body());
        if (response.status() == 401) {
            http.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer"); // RFC 6750 §3
        }
        return http;
    }

    private static String first(Map<String, List<String>> q, String name) {
        List<String> values = q.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
