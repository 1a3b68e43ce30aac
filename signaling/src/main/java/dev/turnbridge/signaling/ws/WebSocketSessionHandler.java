package dev.turnbridge.signaling.ws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.signaling.http.HttpGateHandler;
import dev.turnbridge.signaling.limit.TokenBucket;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.message.ServerMessages;
import dev.turnbridge.signaling.session.CloseCodes;
import dev.turnbridge.signaling.session.Connection;
import dev.turnbridge.signaling.session.SignalingHub;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection after the handshake: enforces message size and rate, decodes, and hands messages
 * to the hub. Frames are released by {@link SimpleChannelInboundHandler} after {@link #channelRead0}.
 */
public final class WebSocketSessionHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    /** Name of the idle handler in the pipeline; replaced by the heartbeat watchdog after the handshake. */
    public static final String IDLE_HANDLER = "idle";

    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionHandler.class);

    private final SignalingHub hub;
    private final int maxMessageSize;
    private final Duration heartbeatTimeout;
    private final TokenBucket bucket;
    private final OutboundLimit outboundLimit;
    private ChannelPeerLink link;
    private Connection connection;
    private boolean clean;
    private boolean pageHidden;

    public WebSocketSessionHandler(SignalingHub hub, int maxMessageSize, Duration heartbeatTimeout,
                                   Clock clock, double rate, int burst) {
        this.hub = hub;
        this.maxMessageSize = maxMessageSize;
        this.heartbeatTimeout = heartbeatTimeout;
        this.bucket = new TokenBucket(clock, rate, burst);
        this.outboundLimit = new OutboundLimit(maxQueuedBytes(maxMessageSize));
    }

    /**
     * Bytes queued for one client before it counts as not reading: four of the largest messages, at least
     * 256 KiB (docs/signaling-protocol.md).
     */
    public static long maxQueuedBytes(int maxMessageSize) {
        return Math.max(4L * maxMessageSize, 256 * 1024);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete handshake) {
            ctx.pipeline().remove(HttpGateHandler.class);
            ctx.pipeline().replace(IDLE_HANDLER, IDLE_HANDLER,
                    new IdleStateHandler(heartbeatTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
            String host = handshake.requestHeaders().get(HttpHeaderNames.HOST);
            link = new ChannelPeerLink(ctx.channel(), outboundLimit, hub.stats().slowReaders);
            connection = hub.open(link, host, ctx.channel().attr(HttpGateHandler.IDENTITY).getAndSet(null),
                    ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress remote
                            ? remote.getAddress() : null);
            return;
        }
        if (evt instanceof IdleStateEvent && connection != null) {
            // Nothing heard for the heartbeat timeout: drop without a clean close, the peer may resume.
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (connection == null) {
            return;
        }
        if (frame instanceof CloseWebSocketFrame close) {
            // The client said goodbye: a leave, not a drop; unless its page is only hidden (maybe reloading).
            pageHidden = close.statusCode() == CloseCodes.PAGE_HIDDEN;
            clean = !pageHidden;
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.NORMAL, "")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!bucket.tryTake()) {
            hub.stats().error(ErrorCode.RATE_LIMITED);
            send(ctx, ServerMessages.error(ErrorCode.RATE_LIMITED, null, refOf(frame)));
            return;
        }
        if (!(frame instanceof TextWebSocketFrame text)) {
            hub.stats().error(ErrorCode.BAD_MESSAGE);
            send(ctx, ServerMessages.error(ErrorCode.BAD_MESSAGE, "only text frames are supported", null));
            return;
        }
        if (text.content().readableBytes() > maxMessageSize) {
            hub.stats().error(ErrorCode.TOO_LARGE);
            send(ctx, ServerMessages.error(ErrorCode.TOO_LARGE,
                    "message larger than " + maxMessageSize + " bytes", MessageDecoder.refOf(text.text())));
            return;
        }
        Decoded decoded = MessageDecoder.decode(text.text());
        if (decoded instanceof Decoded.Ok ok) {
            hub.handle(connection, ok.message());
        } else if (decoded instanceof Decoded.Bad bad) {
            hub.stats().error(bad.code());
            send(ctx, ServerMessages.error(bad.code(), bad.message(), bad.ref()));
        }
    }

    /** The dropped message's ref, so the client can settle what it waits for (text frames only). */
    private static JsonNode refOf(WebSocketFrame frame) {
        return frame instanceof TextWebSocketFrame text ? MessageDecoder.refOf(text.text()) : null;
    }

    /** Direct replies go through the same ordered path as the hub's messages. */
    private void send(ChannelHandlerContext ctx, String text) {
        link.send(text);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (connection != null) {
            hub.closed(connection, clean, pageHidden);
            connection = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing WebSocket after error: {}", cause.toString());
        ctx.close();
    }
}
