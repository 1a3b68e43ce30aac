package dev.turnbridge.signaling.ws;

import dev.turnbridge.signaling.http.HttpGateHandler;
import dev.turnbridge.signaling.realtime.BadFrame;
import dev.turnbridge.signaling.realtime.PhoenixMessage;
import dev.turnbridge.signaling.realtime.RealtimeGateway;
import dev.turnbridge.signaling.realtime.RealtimeSocket;
import dev.turnbridge.signaling.realtime.SocketSink;
import dev.turnbridge.signaling.realtime.Vsn;
import dev.turnbridge.signaling.session.CloseCodes;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Supabase Realtime WebSocket ({@code /realtime/v1/websocket}) after the handshake: size limit, decoding with
 * the socket's serializer, then the {@link RealtimeSocket}. Frames are released by
 * {@link SimpleChannelInboundHandler} after {@link #channelRead0}.
 */
public final class RealtimeWebSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    public static final String PATH = "/realtime/v1/websocket";
    private static final String HANDSHAKER =
            "io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandshakeHandler";
    private static final Logger log = LoggerFactory.getLogger(RealtimeWebSocketHandler.class);

    private final RealtimeGateway gateway;
    private final Vsn vsn;
    private final int maxMessageSize;
    private final Duration heartbeatTimeout;
    private RealtimeSocket socket;

    public RealtimeWebSocketHandler(RealtimeGateway gateway, Vsn vsn, int maxMessageSize, Duration heartbeatTimeout) {
        this.gateway = gateway;
        this.vsn = vsn;
        this.maxMessageSize = maxMessageSize;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /**
     * Turns a signaling pipeline (see {@code SignalingInitializer}) into a Realtime one before the upgrade
     * request goes on: Netty's handshake for this path, and this handler in place of our protocol's.
     */
    public static void install(ChannelPipeline p, RealtimeGateway gateway, Vsn vsn, int maxMessageSize,
                               int hardFrameLimit, Duration heartbeatTimeout) {
        // The protocol handler adds its handshake handler (named by its class) once, for our protocol's path:
        // it goes too, so that the new protocol handler adds one for this path.
        if (p.get(HANDSHAKER) != null) {
            p.remove(HANDSHAKER);
        }
        p.replace("ws", "ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .checkStartsWith(true)
                .maxFramePayloadLength(hardFrameLimit)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                .build()));
        p.replace("session", "session", new RealtimeWebSocketHandler(gateway, vsn, maxMessageSize, heartbeatTimeout));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete handshake) {
            ctx.pipeline().remove(HttpGateHandler.class);
            ctx.pipeline().replace(WebSocketSessionHandler.IDLE_HANDLER, WebSocketSessionHandler.IDLE_HANDLER,
                    new IdleStateHandler(heartbeatTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
            String host = handshake.requestHeaders().get(HttpHeaderNames.HOST);
            ChannelPeerLink link = new ChannelPeerLink(ctx.channel(),
                    new OutboundLimit(WebSocketSessionHandler.maxQueuedBytes(maxMessageSize)),
                    gateway.hub().stats().slowReaders);
            socket = gateway.open(new SocketSink() {
                @Override
                public void send(String text) {
                    link.send(text);
                }

                @Override
                public void close(int code, String reason) {
                    link.close(code, reason);
                }

                @Override
                public void execute(Runnable task) {
                    try {
                        ctx.channel().eventLoop().execute(task);
                    } catch (RejectedExecutionException e) {
                        // the loop is stopping: the connection goes with it
                    }
                }
            }, vsn, host, ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress remote
                    ? remote.getAddress() : null);
            return;
        }
        if (evt instanceof IdleStateEvent && socket != null) {
            // No heartbeat for the timeout: the client is gone (realtime-js sends one every 25 s).
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (socket == null) {
            return;
        }
        if (frame instanceof CloseWebSocketFrame) {
            ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.NORMAL, "")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!(frame instanceof TextWebSocketFrame) && !(frame instanceof BinaryWebSocketFrame)) {
            return; // continuation frames are aggregated before us; pings are answered by Netty
        }
        int size = frame.content().readableBytes();
        try {
            if (frame instanceof TextWebSocketFrame text) {
                String s = text.text();
                if (size > maxMessageSize) {
                    socket.tooLarge(partial(() -> vsn.decode(s)), maxMessageSize);
                    return;
                }
                socket.receive(vsn.decode(s));
            } else {
                byte[] bytes = ByteBufUtil.getBytes(frame.content());
                if (size > maxMessageSize) {
                    socket.tooLarge(partial(() -> vsn.decode(bytes)), maxMessageSize);
                    return;
                }
                socket.receive(vsn.decode(bytes));
            }
        } catch (BadFrame bad) {
            socket.bad(bad);
        }
    }

    private interface Decode {
        PhoenixMessage run() throws BadFrame;
    }

    /** The refs of an oversized frame, when it can be read, so the client's push fails at once. */
    private static PhoenixMessage partial(Decode decode) {
        try {
            return decode.run();
        } catch (BadFrame bad) {
            return bad.partial();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (socket != null) {
            socket.closed();
            socket = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing Realtime WebSocket after error: {}", cause.toString());
        ctx.close();
    }
}
