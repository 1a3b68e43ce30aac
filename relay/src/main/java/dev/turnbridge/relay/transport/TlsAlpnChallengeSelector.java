package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Stands where the {@link SslHandler} goes while a TLS-ALPN-01 challenge is pending (RFC 8737 §3): reads the
 * ClientHello, and replaces itself, under its own name, with an {@link SslHandler} of the challenge certificate
 * when the hello names a domain with a pending challenge in SNI and offers {@code acme-tls/1} as its only
 * protocol, or of the normal certificate for everything else. A challenge connection gets a
 * {@link TlsAlpnChallengeClose} behind it and carries no application data. A connection whose ClientHello
 * has not arrived within {@link #HELLO_MILLIS} (the {@code SslHandler}'s own handshake timeout) is closed.
 */
final class TlsAlpnChallengeSelector extends SslClientHelloHandler<SslContext> {
    static final long HELLO_MILLIS = 10_000;

    private final TlsCertificate tls;
    private final TlsCertificate.Alpn alpn;
    private boolean challenge;
    private ScheduledFuture<?> deadline;

    TlsAlpnChallengeSelector(TlsCertificate tls, TlsCertificate.Alpn alpn) {
        this.tls = tls;
        this.alpn = alpn;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isActive()) {
            startDeadline(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startDeadline(ctx);
        super.channelActive(ctx);
    }

    private void startDeadline(ChannelHandlerContext ctx) {
        if (deadline == null) {
            deadline = ctx.executor().schedule(() -> ctx.close(), HELLO_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        if (deadline != null) {
            deadline.cancel(false);
        }
        super.handlerRemoved0(ctx);
    }

    @Override
    protected Future<SslContext> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
        ClientHello hello = ClientHello.parse(clientHello);
        SslContext context = null;
        if (hello.serverName() != null && hello.offersOnly(TlsCertificate.ALPN_ACME)) {
            context = tls.challengeContext(hello.serverName());
        }
        challenge = context != null;
        return ctx.executor().newSucceededFuture(challenge ? context : tls.context(alpn));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<SslContext> future) {
        // the lookup above cannot fail: it only reads maps
        SslHandler ssl = future.getNow().newHandler(ctx.alloc());
        String name = ctx.name();
        ctx.pipeline().replace(this, name, ssl);
        if (challenge) {
            ctx.pipeline().addAfter(name, "acme-tls-1", new TlsAlpnChallengeClose());
        }
    }
}
