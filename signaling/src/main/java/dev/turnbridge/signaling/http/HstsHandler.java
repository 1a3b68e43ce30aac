package dev.turnbridge.signaling.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds {@code Strict-Transport-Security} (RFC 6797) to every response of an HTTPS listener whose certificate
 * browsers can verify, so that a browser that once reached us keeps using https. Not for the self-signed
 * development certificate: browsers ignore the header behind a certificate error (RFC 6797 §8.1), and a pinned
 * {@code localhost} would break plain-HTTP development on the same name. No {@code includeSubDomains}: other
 * hosts under the domain are not ours to promise.
 */
@ChannelHandler.Sharable
public final class HstsHandler extends ChannelOutboundHandlerAdapter {

    /** One year, the value the HSTS preload list asks for. */
    static final String VALUE = "max-age=31536000";
    static final String HEADER = "strict-transport-security";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            response.headers().set(HEADER, VALUE);
        }
        ctx.write(msg, promise);
    }
}
