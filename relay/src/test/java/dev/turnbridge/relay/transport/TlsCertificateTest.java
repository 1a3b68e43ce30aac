package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.AcmeSettings;
import dev.turnbridge.config.TlsSettings;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The TLS engine: BoringSSL where it loads (this build ships it), with the same protocols and ALPN. */
class TlsCertificateTest {
    private static final TlsCertificate TLS = TlsCertificate.load(new TlsSettings("", "", Duration.ZERO, AcmeSettings.defaults()));

    @Test
    void usesTheNativeEngine() {
        assertThat(OpenSsl.isAvailable()).as("netty-tcnative-boringssl-static loads: %s", OpenSsl.unavailabilityCause())
                .isTrue();
        assertThat(TlsCertificate.PROVIDER).isEqualTo(SslProvider.OPENSSL);
        for (TlsCertificate.Alpn alpn : TlsCertificate.Alpn.values()) {
            assertThat(TLS.context(alpn)).isInstanceOf(OpenSslContext.class);
        }
    }

    @Test
    void offersOnlyTls13And12() {
        SSLEngine engine = TLS.context(TlsCertificate.Alpn.TURN).newEngine(ByteBufAllocator.DEFAULT);
        // Netty's OpenSSL engine always lists the "SSLv2Hello" pseudo-protocol (a v2-framed ClientHello), which
        // BoringSSL does not parse; the protocols that can be negotiated are these two
        assertThat(engine.getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
                .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        assertThat(engine.getEnabledCipherSuites()).allMatch(s -> s.startsWith("TLS_AES_")
                || s.startsWith("TLS_CHACHA20_") || s.matches("TLS_ECDHE_(ECDSA|RSA)_WITH_.*(GCM|POLY1305)_SHA\\d+"));
    }

    /** An in-memory handshake between a JDK client and the native server engine negotiates ALPN as before. */
    @ParameterizedTest(name = "{0}, {1} offers {2} -> {3}")
    @CsvSource({
        "TLSv1.3, TURN,   stun.turn,          stun.turn",
        "TLSv1.2, TURN,   stun.turn,          stun.turn",
        "TLSv1.3, TURN,   stun.nat-discovery, stun.nat-discovery",
        "TLSv1.3, HTTP,   http/1.1,           http/1.1",
        "TLSv1.3, SHARED, http/1.1,           http/1.1",
        "TLSv1.2, SHARED, stun.turn,          stun.turn",
    })
    void handshakesWithAlpn(String protocol, TlsCertificate.Alpn alpn, String offered, String expected)
            throws Exception {
        SslContext context = TLS.context(alpn);
        SSLEngine server = context.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine client = trustingClient(protocol, offered);
        handshake(client, server);
        assertThat(server.getSession().getProtocol()).isEqualTo(protocol);
        assertThat(server.getApplicationProtocol()).isEqualTo(expected);
        assertThat(client.getApplicationProtocol()).isEqualTo(expected);
    }

    private static SSLEngine trustingClient(String protocol, String alpn) throws Exception {
        X509TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {any}, new SecureRandom());
        SSLEngine engine = ssl.createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(new String[] {protocol});
        params.setApplicationProtocols(new String[] {alpn});
        engine.setSSLParameters(params);
        return engine;
    }

    /** Pumps records between the two engines until both finish; bounded in steps. */
    private static void handshake(SSLEngine client, SSLEngine server) throws Exception {
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
        ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
        ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 100; step++) {
            client.wrap(empty, toServer);
            runTasks(client);
            toServer.flip();
            server.unwrap(toServer, sink);
            runTasks(server);
            toServer.compact();
            server.wrap(empty, toClient);
            runTasks(server);
            toClient.flip();
            client.unwrap(toClient, sink);
            runTasks(client);
            toClient.compact();
            if (done(client) && done(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
        }
        throw new AssertionError("handshake did not finish: client " + client.getHandshakeStatus()
                + ", server " + server.getHandshakeStatus());
    }

    private static boolean done(SSLEngine engine) {
        HandshakeStatus s = engine.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine engine) {
        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
            task.run();
        }
    }
}
