package dev.turnbridge.server.acme;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The plain-HTTP listener's one request (RFC 8555 §8.3): {@code GET /.well-known/acme-challenge/<token>} is
 * answered with the key authorization of a pending HTTP-01 challenge (404 for another token); any other
 * request is redirected (301) to https on the same host, when that host is one of {@code tls.acme.domains},
 * else on the first of them (a Host header never makes us redirect elsewhere). Each connection carries one
 * request and is closed after the response; a request body is not read.
 */
final class Http01Handler extends SimpleChannelInboundHandler<HttpObject> {
    static final String PREFIX = "/.well-known/acme-challenge/";

    private final Http01Tokens tokens;
    private final List<String> domains;
    private final int httpsPort;
    private boolean answered;

    Http01Handler(Http01Tokens tokens, List<String> domains, int httpsPort) {
        this.tokens = tokens;
        this.domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        this.httpsPort = httpsPort;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (answered || !(msg instanceof HttpRequest request)) {
            return; // body chunks, or anything after the one request: released by the superclass
        }
        answered = true;
        if (request.decoderResult().isFailure()) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n", null);
            return;
        }
        String uri = request.uri();
        boolean read = HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
        if (uri.startsWith(PREFIX)) {
            String token = uri.substring(PREFIX.length());
            String keyAuthorization = read && Http01Tokens.wellFormed(token) ? tokens.keyAuthorization(token) : null;
            if (keyAuthorization == null) {
                reply(ctx, HttpResponseStatus.NOT_FOUND, "no such challenge\n", null);
            } else {
                reply(ctx, HttpResponseStatus.OK, keyAuthorization, null);
            }
            return;
        }
        if (!uri.startsWith("/")) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "bad request target\n", null);
            return;
        }
        String host = host(request.headers().get(HttpHeaderNames.HOST));
        String target = domains.contains(host) ? host : domains.get(0);
        String location = "https://" + target + (httpsPort == 443 ? "" : ":" + httpsPort) + uri;
        reply(ctx, HttpResponseStatus.MOVED_PERMANENTLY, "", location);
    }

    /** The Host header's name without port, lower case; null when absent. */
    static String host(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && !h.endsWith("]")) {
            h = h.substring(0, colon);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String location) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, status == HttpResponseStatus.OK
                ? "application/octet-stream" : "text/plain; charset=us-ascii");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (location != null) {
            response.headers().set(HttpHeaderNames.LOCATION, location);
        }
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
