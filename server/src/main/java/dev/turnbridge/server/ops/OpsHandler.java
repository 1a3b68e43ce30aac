package dev.turnbridge.server.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.relay.allocation.AllocationInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes of the operations listener:
 * <pre>
 * GET  /healthz                      200 while the process runs (no token)
 * GET  /readyz                       200 once every listener is bound and the codec is warm; 503 otherwise
 *                                    and while draining (no token)
 * GET  /metrics                      Prometheus text format (metrics.token)
 * GET  / , /status                   HTML status page (metrics.token, also as HTTP Basic password)
 * GET  /status.json                  the status page's data (metrics.token)
 * GET  /admin/allocations            allocations, optionally ?username= or ?room= (admin.token)
 * DELETE /admin/allocations?username=U | ?room=R   end them; answers {"ended": n} (admin.token)
 * GET  /admin/rooms                  rooms (admin.token)
 * DELETE /admin/rooms/{code}         close a room: members told, relay credentials revoked (admin.token)
 * DELETE /admin/rooms/{code}/members/{id}  remove one member, its relay credentials revoked (admin.token)
 * POST /admin/drain                  start a graceful drain (admin.token)
 * </pre>
 * Shared by every connection: holds no per-connection state.
 */
@ChannelHandler.Sharable
final class OpsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(OpsHandler.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json";

    private final OpsServices services;
    private final BearerToken metricsToken;
    private final BearerToken adminToken;
    private final ObjectMapper mapper = new ObjectMapper();
    private long lastRefusalLog; // nanoTime; the ops listener runs on one event loop

    OpsHandler(OpsServices services, BearerToken metricsToken, BearerToken adminToken) {
        this.services = services;
        this.metricsToken = metricsToken;
        this.adminToken = adminToken;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        HttpMethod method = request.method();
        Reply reply = new Reply(ctx, HttpUtil.isKeepAlive(request), method == HttpMethod.HEAD);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (!request.decoderResult().isSuccess()) {
            reply.text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            return;
        }
        if (path.startsWith("/admin/")) {
            admin(ctx, reply, method, path, uri, authorization);
            return;
        }
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            return;
        }
        switch (path) {
            case "/healthz" -> reply.text(HttpResponseStatus.OK, "ok\n");
            case "/readyz" -> {
                String notReady = services.notReady().get();
                if (notReady == null) {
                    reply.text(HttpResponseStatus.OK, "ready\n");
                } else {
                    reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + notReady + "\n");
                }
            }
            case "/metrics" -> {
                if (refused(reply, metricsToken, authorization, false)) {
                    return;
                }
                reply.send(HttpResponseStatus.OK, PROMETHEUS_TEXT, services.registry().scrape());
            }
            case "/", "/status" -> {
                if (refused(reply, metricsToken, authorization, true)) {
                    return;
                }
                services.relay().allocations().whenComplete((allocations, failure) -> reply.send(
                        HttpResponseStatus.OK, "text/html; charset=utf-8",
                        StatusPage.html(status(allocations == null ? List.of() : allocations))));
            }
            case "/status.json" -> {
                if (refused(reply, metricsToken, authorization, false)) {
                    return;
                }
                services.relay().allocations().whenComplete((allocations, failure) -> reply.json(
                        HttpResponseStatus.OK, StatusPage.json(mapper,
                                status(allocations == null ? List.of() : allocations))));
            }
            default -> reply.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        }
    }

    private StatusPage.Status status(List<AllocationInfo> allocations) {
        var relay = services.relay();
        var stats = relay.context().stats();
        return new StatusPage.Status(services.notReady().get(), relay.draining(), allocations,
                relay.relayPortsInUse(), relay.relayPortCapacity(), stats.permissionsActive.sum(),
                stats.channelsActive.sum(), services.throughput().rates(), services.signaling().available(),
                services.signaling().connections(), services.signaling().rooms(),
                relay.topRooms(StatusPage.TOP_ROOMS).stream()
                        .map(r -> new StatusPage.TopRoom(r.room(), r.relayedBytes(), r.droppedDatagrams())).toList(),
                services.signaling().lastHourCalls(), Instant.now(), services.signaling().accessWarning(),
                services.certificate().get());
    }

    private void admin(ChannelHandlerContext ctx, Reply reply, HttpMethod method, String path,
            QueryStringDecoder uri, String authorization) {
        if (!adminToken.required()) {
            reply.text(HttpResponseStatus.NOT_FOUND, "admin API disabled (admin.token is empty)\n");
            return;
        }
        if (!adminToken.admits(authorization)) {
            // the remote address helps find a misconfigured client; the presented value is never logged. At most
            // one line a second, so that a scanner cannot flood the log.
            long now = System.nanoTime();
            if (now - lastRefusalLog > 1_000_000_000L) {
                lastRefusalLog = now;
                log.warn("admin request {} {} refused from {}: {} token", method, path,
                        ctx.channel().remoteAddress(), authorization == null ? "no" : "wrong");
            }
            reply.unauthorized("Bearer realm=\"turnbridge-admin\"", "admin token required\n");
            return;
        }
        String username = param(uri, "username");
        String room = param(uri, "room");
        if (path.equals("/admin/allocations") && method == HttpMethod.GET) {
            Predicate<AllocationInfo> filter = filter(username, room);
            services.relay().allocations().whenComplete((all, failure) -> {
                if (failure != null) {
                    reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "relay is shutting down\n");
                    return;
                }
                ArrayNode list = mapper.createArrayNode();
                all.stream().filter(filter).forEach(a -> list.add(allocationJson(a)));
                reply.json(HttpResponseStatus.OK, mapper.createObjectNode().set("allocations", list));
            });
        } else if (path.equals("/admin/allocations") && method == HttpMethod.DELETE) {
            if ((username == null) == (room == null)) {
                reply.text(HttpResponseStatus.BAD_REQUEST, "give exactly one of ?username= or ?room=\n");
                return;
            }
            services.relay().endAllocations(filter(username, room)).whenComplete((n, failure) -> {
                if (failure != null) {
                    reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "relay is shutting down\n");
                    return;
                }
                log.info("admin ended {} allocation(s) of {} {}", n, username != null ? "username" : "room",
                        username != null ? username : room);
                reply.json(HttpResponseStatus.OK, mapper.createObjectNode().put("ended", n));
            });
        } else if (path.equals("/admin/rooms") && method == HttpMethod.GET) {
            ArrayNode list = mapper.createArrayNode();
            for (SignalingOps.RoomSummary r : services.signaling().rooms()) {
                list.addObject().put("code", r.code()).put("members", r.members()).put("capacity", r.capacity())
                        .put("createdAt", r.createdAt().toString()).put("expiresAt", r.expiresAt().toString());
            }
            reply.json(HttpResponseStatus.OK, mapper.createObjectNode()
                    .put("signaling", services.signaling().available()).set("rooms", list));
        } else if (path.startsWith("/admin/rooms/") && path.indexOf('/', "/admin/rooms/".length()) >= 0) {
            kick(reply, method, path);
        } else if (path.startsWith("/admin/rooms/") && method == HttpMethod.DELETE) {
            String code = path.substring("/admin/rooms/".length());
            if (!services.signaling().available()) {
                reply.text(HttpResponseStatus.NOT_IMPLEMENTED, "signaling is not running in this process\n");
            } else {
                services.signaling().closeRoom(code).whenComplete((closed, failure) -> {
                    if (failure != null) {
                        reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "rooms are unavailable\n");
                    } else if (closed) {
                        log.info("admin closed a room");
                        reply.json(HttpResponseStatus.OK, mapper.createObjectNode().put("closed", true));
                    } else {
                        reply.text(HttpResponseStatus.NOT_FOUND, "no such room\n");
                    }
                });
            }
        } else if (path.equals("/admin/drain") && method == HttpMethod.POST) {
            log.info("admin requested a drain");
            services.drain().run();
            reply.json(HttpResponseStatus.ACCEPTED, mapper.createObjectNode().put("draining", true));
        } else if (path.equals("/admin/allocations") || path.equals("/admin/rooms") || path.equals("/admin/drain")
                || path.startsWith("/admin/rooms/")) {
            reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
        } else {
            reply.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        }
    }

    /** {@code DELETE /admin/rooms/{code}/members/{id}}. */
    private void kick(Reply reply, HttpMethod method, String path) {
        String[] parts = path.substring("/admin/rooms/".length()).split("/", -1);
        if (parts.length != 3 || !parts[1].equals("members") || parts[0].isEmpty() || parts[2].isEmpty()) {
            reply.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        } else if (method != HttpMethod.DELETE) {
            reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
        } else if (!services.signaling().available()) {
            reply.text(HttpResponseStatus.NOT_IMPLEMENTED, "signaling is not running in this process\n");
        } else if (services.signaling().kick(parts[0], parts[2])) {
            log.info("admin removed a room member");
            reply.json(HttpResponseStatus.OK, mapper.createObjectNode().put("removed", true));
        } else {
            reply.text(HttpResponseStatus.NOT_FOUND, "no such member in that room\n");
        }
    }

        private static Predicate<AllocationInfo> filter(String username, String room) {
        if (username != null) {
            return a -> a.username().equals(username);
        }
        if (room != null) {
            return a -> room.equalsIgnoreCase(RoomUsernames.room(a.username()));
        }
        return a -> true;
    }

    private ObjectNode allocationJson(AllocationInfo a) {
        ObjectNode n = mapper.createObjectNode();
        n.put("username", a.username());
        n.put("transport", a.transport().name().toLowerCase(java.util.Locale.ROOT));
        n.put("family", a.family());
        n.put("client", a.client().getAddress().getHostAddress() + ":" + a.client().getPort());
        n.put("relayed", a.relayed().getAddress().getHostAddress() + ":" + a.relayed().getPort());
        n.put("createdAt", Instant.ofEpochMilli(a.createdAtMillis()).toString());
        n.put("expiresAt", Instant.ofEpochMilli(a.expiresAtMillis()).toString());
        n.put("permissions", a.permissions());
        n.put("channels", a.channels());
        n.put("bytesToPeer", a.bytesToPeer());
        n.put("bytesToClient", a.bytesToClient());
        return n;
    }

    private static String param(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    /** True (after answering 401) when {@code token} is required and the request does not carry it. */
    private static boolean refused(Reply reply, BearerToken token, String authorization, boolean browser) {
        if (token.admits(authorization)) {
            return false;
        }
        // Basic lets a browser prompt for the token (as the password) on the status page
        reply.unauthorized(browser ? "Basic realm=\"turnbridge\"" : "Bearer realm=\"turnbridge\"", "token required\n");
        return true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("ops connection error: {}", cause.toString());
        ctx.close();
    }

    /** Writes one response; callable from any thread. */
    private final class Reply {
        private final ChannelHandlerContext ctx;
        private final boolean keepAlive;
        private final boolean head;

        Reply(ChannelHandlerContext ctx, boolean keepAlive, boolean head) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
            this.head = head;
        }

        void text(HttpResponseStatus status, String body) {
            send(status, "text/plain; charset=utf-8", body);
        }

        void json(HttpResponseStatus status, Object body) {
            try {
                send(status, JSON, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot render JSON\n");
            }
        }

        void unauthorized(String challenge, String body) {
            FullHttpResponse response = response(HttpResponseStatus.UNAUTHORIZED, "text/plain; charset=utf-8", body);
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, challenge);
            write(response);
        }

        void send(HttpResponseStatus status, String contentType, String body) {
            write(response(status, contentType, body));
        }

        private FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                    .set("X-Content-Type-Options", "nosniff")
                    .set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            return response;
        }

        private void write(FullHttpResponse response) {
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
