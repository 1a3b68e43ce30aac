package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TLS-ALPN-01 (RFC 8737) on a TURN TLS listener and on a port shared with HTTPS: a handshake naming a domain
 * with a pending challenge and offering only {@code acme-tls/1} gets the challenge certificate and is closed
 * after the handshake; every other handshake gets the normal certificate, and an installed certificate
 * reaches new connections.
 */
class TlsAlpnChallengeIT {
    private NettyTransport transport;
    private RelayServer server;

    @BeforeEach
    void start() {
        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "listeners.udp=", "listeners.tcp=", "listeners.tls=127.0.0.1:0", "auth.secrets=x",
                "tls.acme.domains=turn.example.org", "tls.acme.directory=https://127.0.0.1:1/dir"));
        transport = NettyTransport.create(1, "tls-alpn-01-it", true);
        server = new RelayServer(settings, Clock.systemUTC(), transport);
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (transport != null) {
            transport.shutdown();
        }
    }

    private record Handshake(String fingerprint, String protocol, SSLSocket socket) {
    }

    private Handshake handshake(String serverName, String... alpn) throws Exception {
        InetSocketAddress address = server.tlsAddresses().get(0);
        SSLSocket s = (SSLSocket) StreamTurnClient.trustingContext().getSocketFactory().createSocket();
        s.connect(address, 5000);
        s.setSoTimeout(5000);
        SSLParameters params = s.getSSLParameters();
        params.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        params.setApplicationProtocols(alpn);
        s.setSSLParameters(params);
        s.startHandshake();
        byte[] leaf = s.getSession().getPeerCertificates()[0].getEncoded();
        String fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(leaf));
        return new Handshake(fingerprint, s.getApplicationProtocol(), s);
    }

    private static boolean closedByServer(SSLSocket s) throws IOException {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset after close_notify
        }
    }

    @Test
    void answersAPendingChallengeAndNothingElse() throws Exception {
        TlsCertificate tls = server.certificate();
        String normal = tls.current().fingerprintSha256();
        CertifiedKey challenge = SelfSignedCertificate.generate("turn.example.org");
        tls.answerTlsAlpn01("Turn.Example.org", challenge);

        Handshake validation = handshake("turn.example.org", "acme-tls/1");
        assertThat(validation.fingerprint()).isEqualTo(challenge.fingerprintSha256());
        assertThat(validation.protocol()).isEqualTo("acme-tls/1");
        assertThat(closedByServer(validation.socket())).as("closed after the handshake").isTrue();
        validation.socket().close();

        // another name, or acme-tls/1 among other protocols, or no SNI: the normal certificate
        for (Handshake h : List.of(handshake("other.example.org", "acme-tls/1"),
                handshake("turn.example.org", "stun.turn", "acme-tls/1"), handshake(null, "acme-tls/1"),
                handshake("turn.example.org", "stun.turn"), handshake("turn.example.org"))) {
            assertThat(h.fingerprint()).isEqualTo(normal);
            h.socket().close();
        }
        // TURN still works on the listener while the challenge is pending
        try (StreamTurnClient turn = StreamTurnClient.tls(server.tlsAddresses().get(0), "u", "p", "TLSv1.3",
                "stun.turn")) {
            assertThat(turn.request(0x001, b -> { }).isSuccess()).isTrue();
        }

        tls.withdrawTlsAlpn01("turn.example.org");
        Handshake after = handshake("turn.example.org", "acme-tls/1");
        assertThat(after.fingerprint()).isEqualTo(normal);
        assertThat(after.protocol()).isNotEqualTo("acme-tls/1");
        after.socket().close();
    }

    @Test
    void anInstalledCertificateReachesNewConnections() throws Exception {
        TlsCertificate tls = server.certificate();
        Handshake before = handshake("turn.example.org", "stun.turn");
        CertifiedKey issued = SelfSignedCertificate.generate("turn.example.org");

        tls.install(issued);

        assertThat(handshake("turn.example.org", "stun.turn").fingerprint()).isEqualTo(issued.fingerprintSha256());
        assertThat(server.tlsFingerprint()).isEqualTo(issued.fingerprintSha256());
        assertThat(before.socket().isClosed()).isFalse();
        before.socket().close();
    }
}
