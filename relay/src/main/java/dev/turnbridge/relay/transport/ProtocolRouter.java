package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one connection of a port shared by TURN and HTTPS to the pipeline of its protocol, once, after the TLS
 * handshake. The negotiated ALPN protocol decides ({@code stun.turn}, {@code stun.nat-discovery}: TURN,
 * RFC 7443; {@code http/1.1}: HTTP). Without ALPN the first byte does: a TURN client's first message on a new
 * connection is a STUN request, whose two top bits are zero (RFC 8489 §5), while ChannelData needs a channel
 * this connection cannot have bound yet; an HTTP request line starts with a method token, an ASCII letter.
 *
 * <p>The chosen pipeline is installed behind this handler and sees {@code channelActive} then (it was held back),
 * so its accept-time limits (connections per IP, sweepers) apply as on its own listener; the bytes read so far
 * follow unchanged. A connection that sends nothing within the deadline is closed.
 */
final class ProtocolRouter extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(ProtocolRouter.class);

    /** Where a connection goes. */
    enum Route { TURN, HTTP }

    private final ChannelHandler turn;
    private final Supplier<ChannelHandler> http;
    private final long deadlineMillis;
    private ScheduledFuture<?> deadline;

    /**
     * @param turn           installs the TURN pipeline (framing and connection handler, no TLS)
     * @param http           installs the HTTP pipeline (no TLS); null from the supplier while signaling is not up,
     *                       and such a connection is closed
     * @param deadlineMillis how long a connection may stay silent before it is routed
     */
    ProtocolRouter(ChannelHandler turn, Supplier<ChannelHandler> http, long deadlineMillis) {
        this.turn = turn;
        this.http = http;
        this.deadlineMillis = deadlineMillis;
    }

    /** The route for a connection whose negotiated protocol is {@code alpn} (null: none) and first byte is {@code b}. */
    static Route route(String alpn, int firstByte) {
        if (TlsCertificate.ALPN_TURN.equals(alpn) || TlsCertificate.ALPN_STUN.equals(alpn)) {
            return Route.TURN;
        }
        if (TlsCertificate.ALPN_HTTP.equals(alpn)) {
            return Route.HTTP;
        }
        return (firstByte & 0xC0) == 0 ? Route.TURN : Route.HTTP;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            armDeadline(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // held back: the routed pipeline gets it once it exists
        armDeadline(ctx);
    }

    private void armDeadline(ChannelHandlerContext ctx) {
        if (deadline == null) {
            deadline = ctx.executor().schedule(() -> {
                log.debug("shared TLS port: {} sent nothing within {} ms, closing", ctx.channel().remoteAddress(),
                        deadlineMillis);
                ctx.close();
            }, deadlineMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        Route route = route(ssl == null ? null : ssl.applicationProtocol(), in.getUnsignedByte(in.readerIndex()));
        ChannelHandler next = route == Route.TURN ? turn : http.get();
        cancelDeadline();
        if (next == null) {
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        ctx.pipeline().addAfter(ctx.name(), null, next);
        ctx.fireChannelActive();
        // removing a decoder hands its buffered bytes to the next handler
        ctx.pipeline().remove(this);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelDeadline();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        super.channelInactive(ctx);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}
