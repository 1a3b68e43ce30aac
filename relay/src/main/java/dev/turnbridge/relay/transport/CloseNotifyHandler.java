package dev.turnbridge.relay.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslCloseCompletionEvent;

/**
 * Answers a client's TLS close_notify (RFC 8446 §6.1, RFC 5246 §7.2.1) with ours and closes the connection at
 * once, as a TCP FIN closes a plain connection. Netty's SslHandler only reports the alert and leaves the
 * connection open, so a client waiting for our close_notify (aiortc waits 30 s) would wait, and the allocation,
 * permissions, channels and RFC 6062 connections of the connection would outlive it. Closing through the
 * pipeline lets SslHandler flush what is queued and send close_notify before the socket closes; the handlers
 * behind then end what the connection held as for any close. Sits right behind the TLS handler, so it stays
 * when ConnectionBind turns the connection into a byte pipe.
 */
@ChannelHandler.Sharable
final class CloseNotifyHandler extends ChannelInboundHandlerAdapter {
    static final CloseNotifyHandler INSTANCE = new CloseNotifyHandler();

    private CloseNotifyHandler() {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslCloseCompletionEvent close && close.isSuccess()) {
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }
}
