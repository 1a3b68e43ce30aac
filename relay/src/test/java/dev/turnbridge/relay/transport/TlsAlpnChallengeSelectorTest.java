package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.AcmeSettings;
import dev.turnbridge.config.TlsSettings;
import dev.turnbridge.config.tls.SelfSignedCertificate;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The selector off the network: which handler replaces it, and the deadline for a ClientHello. */
class TlsAlpnChallengeSelectorTest {
    private final TlsCertificate tls = TlsCertificate.load(new TlsSettings("", "", Duration.ZERO,
            AcmeSettings.defaults()));
    private EmbeddedChannel ch;

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel channel() {
        ch = new EmbeddedChannel();
        ch.freezeTime(); // only advanceTimeBy moves the channel's clock
        ch.pipeline().addLast("tls", new TlsAlpnChallengeSelector(tls, TlsCertificate.Alpn.TURN));
        return ch;
    }

    /** The first TLS record of a JDK client naming {@code serverName} and offering {@code alpn}. */
    private static byte[] clientHello(String serverName, String... alpn) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(serverName)));
        params.setApplicationProtocols(alpn);
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] record = new byte[out.remaining()];
        out.get(record);
        return record;
    }

    @Test
    void aChallengeHelloGetsTheChallengeHandlerChain() throws Exception {
        tls.answerTlsAlpn01("turn.example.org", SelfSignedCertificate.generate("turn.example.org"));
        EmbeddedChannel c = channel();

        c.writeInbound(Unpooled.wrappedBuffer(clientHello("turn.example.org", "acme-tls/1")));

        assertThat(c.pipeline().get("tls")).isInstanceOf(SslHandler.class);
        assertThat(c.pipeline().get("acme-tls-1")).isInstanceOf(TlsAlpnChallengeClose.class);
    }

    @Test
    void anyOtherHelloGetsTheNormalHandlerOnly() throws Exception {
        tls.answerTlsAlpn01("turn.example.org", SelfSignedCertificate.generate("turn.example.org"));
        EmbeddedChannel c = channel();

        c.writeInbound(Unpooled.wrappedBuffer(clientHello("turn.example.org", "stun.turn")));

        assertThat(c.pipeline().get("tls")).isInstanceOf(SslHandler.class);
        assertThat(c.pipeline().get("acme-tls-1")).isNull();
    }

    @Test
    void aConnectionThatSendsNoClientHelloIsClosedAtTheDeadline() {
        EmbeddedChannel c = channel();

        c.advanceTimeBy(TlsAlpnChallengeSelector.HELLO_MILLIS - 1, TimeUnit.MILLISECONDS);
        c.runScheduledPendingTasks();
        assertThat(c.isOpen()).isTrue();
        c.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        c.runScheduledPendingTasks();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void theDeadlineEndsWithTheSelector() throws Exception {
        EmbeddedChannel c = channel();
        c.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        c.writeInbound(Unpooled.wrappedBuffer(clientHello("turn.example.org", "stun.turn")));
        assertThat(c.pipeline().get(TlsAlpnChallengeSelector.class)).isNull();

        // the selector's deadline (at 10 000 ms) was cancelled; the SslHandler's own (10 s after it was added,
        // at 10 001 ms) has not come yet
        c.advanceTimeBy(TlsAlpnChallengeSelector.HELLO_MILLIS - 1, TimeUnit.MILLISECONDS);
        c.runScheduledPendingTasks();
        assertThat(c.isOpen()).isTrue();
    }
}
