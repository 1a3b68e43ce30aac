package dev.turnbridge.server.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.config.SettingsException;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.transport.StreamTurnClient;
import dev.turnbridge.server.TurnbridgeServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic certificates against Pebble, Let's Encrypt's test CA, on loopback: first issuance by TLS-ALPN-01
 * (answered on the TURN/HTTPS TLS port itself) and by HTTP-01 (the plain-HTTP listener), renewal of a stored
 * certificate about to expire, the CA unreachable (the working certificate kept, retried with back-off,
 * counted), and a domain the CA refuses. Every issued certificate is checked over a real TLS handshake to our
 * listener, against the root fetched from Pebble's management API, with hostname verification.
 */
class AcmePebbleIT {
    private static final String DOMAIN = "turn.acme.test";
    private static final String BLOCKED = "blocked.acme.test";
    private static final AcmeService.Timing FAST = new AcmeService.Timing(Duration.ofHours(12),
            Duration.ofMillis(200), Duration.ofMillis(800), Duration.ofSeconds(60));
    private static final long WAIT_SECONDS = 90;

    @TempDir
    Path dir;
    private Pebble pebble;
    private TurnbridgeServer server;
    private int tlsPort;
    private int httpPort;

    @BeforeEach
    void ports() throws IOException {
        assumeFalse(Boolean.getBoolean("skipInterop"), "interop skipped by -DskipInterop");
        tlsPort = Pebble.freeTcpPort();
        httpPort = Pebble.freeTcpPort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        if (pebble != null) {
            pebble.close();
        }
    }

    private TurnbridgeServer start(String directory, Path caFile, String... more) {
        List<String> overrides = new ArrayList<>(List.of(
                "listeners.tls=127.0.0.1:" + tlsPort,
                "signaling.tls-listen=127.0.0.1:" + tlsPort,   // one port: TURN, HTTPS and TLS-ALPN-01
                "tls.acme.domains=" + DOMAIN,
                "tls.acme.email=ops@example.org",
                "tls.acme.directory=" + directory,
                "tls.acme.state-dir=" + dir.resolve("state"),
                "tls.acme.redirect-port=" + tlsPort));
        if (caFile != null) {
            overrides.add("tls.acme.ca-file=" + caFile);
        }
        overrides.addAll(List.of(more));
        server = TurnbridgeServer.start(TestSettings.loopback(overrides.toArray(String[]::new)), Clock.systemUTC(),
                FAST);
        return server;
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private void awaitIssued(int count) throws InterruptedException {
        await(count + " issued", () -> orders("issued") >= count || orders("failed") > 0);
        assertThat(orders("failed")).as("failed orders; last: %s", server.acme().lastFailure()).isZero();
    }

    private double orders(String outcome) {
        Counter c = server.registry().find("turnbridge.acme.orders").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    /** The certificate our TLS port serves for {@code DOMAIN}, verified against {@code roots} and the name. */
    private X509Certificate served(List<X509Certificate> roots) throws Exception {
        SSLSocket s = (SSLSocket) Pebble.trusting(roots).getSocketFactory().createSocket();
        try (s) {
            s.connect(new InetSocketAddress("127.0.0.1", tlsPort), 5000);
            s.setSoTimeout(5000);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(DOMAIN)));
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the name must match, as in a browser
            params.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(params);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    /** The fingerprint of whatever our TLS port serves, trusted blindly (the self-signed one). */
    private String anyServedFingerprint() throws Exception {
        SSLSocket s = (SSLSocket) StreamTurnClient.trustingContext().getSocketFactory().createSocket();
        try (s) {
            s.connect(new InetSocketAddress("127.0.0.1", tlsPort), 5000);
            s.setSoTimeout(5000);
            s.startHandshake();
            return fingerprint((X509Certificate) s.getSession().getPeerCertificates()[0]);
        }
    }

    private static String fingerprint(X509Certificate c) throws Exception {
        return HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    }

    @Test
    void firstIssuanceByTlsAlpn01OnTheSharedTlsPort() throws Exception {
        pebble = Pebble.start(dir, tlsPort, httpPort, List.of());
        start(pebble.directory(), pebble.caFile());
        String selfSigned = anyServedFingerprint();

        awaitIssued(1);

        X509Certificate leaf = served(List.of(pebble.root()));
        assertThat(fingerprint(leaf)).isEqualTo(server.acme().certificate().fingerprintSha256())
                .isNotEqualTo(selfSigned);
        assertThat(leaf.getIssuerX500Principal().getName()).contains("Pebble Intermediate CA");
        Gauge expiry = server.registry().find("turnbridge.acme.certificate.expiry").gauge();
        assertThat(expiry).isNotNull();
        assertThat(expiry.value()).isPositive()
                .isLessThanOrEqualTo(Duration.between(Instant.now(), leaf.getNotAfter().toInstant()).toSeconds() + 1);
        Path state = dir.resolve("state");
        assertThat(Files.getPosixFilePermissions(state)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        for (String key : List.of(AcmeStateDir.ACCOUNT_KEY, AcmeStateDir.DOMAIN_KEY)) {
            assertThat(Files.getPosixFilePermissions(state.resolve(key))).as(key)
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        // the status page names the certificate and its expiry; /metrics has the order and expiry series
        String status = ops("/status");
        assertThat(status).contains("<h2>TLS certificate</h2>").contains(DOMAIN)
                .contains(leaf.getNotAfter().toInstant().toString()).contains("ACME (https://127.0.0.1:");
        assertThat(ops("/metrics")).contains("turnbridge_acme_orders_total{outcome=\"issued\"} 1.0")
                .contains("turnbridge_acme_certificate_expiry_seconds ");

        // a restart serves the stored certificate at once, with the CA gone: no order is due
        X509Certificate root = pebble.root();
        server.close();
        pebble.close();
        pebble = null;
        start("https://127.0.0.1:" + Pebble.freeTcpPort() + "/dir", null);
        assertThat(fingerprint(served(List.of(root)))).isEqualTo(fingerprint(leaf));
        assertThat(orders("issued") + orders("failed")).isZero();
    }

    @Test
    void firstIssuanceByHttp01OnThePlainHttpListener() throws Exception {
        pebble = Pebble.start(dir, tlsPort, httpPort, List.of());
        start(pebble.directory(), pebble.caFile(), "tls.acme.http-listen=127.0.0.1:" + httpPort);

        awaitIssued(1);

        X509Certificate leaf = served(List.of(pebble.root()));
        assertThat(fingerprint(leaf)).isEqualTo(server.acme().certificate().fingerprintSha256());
        // everything else on port 80 is a redirect to https on the same name, or on the first domain
        assertThat(http("GET / HTTP/1.1\r\nHost: " + DOMAIN + ":" + httpPort + "\r\n\r\n"))
                .startsWith("HTTP/1.1 301").contains("location: https://" + DOMAIN + ":" + tlsPort + "/\r\n");
        assertThat(http("GET /room?x=1 HTTP/1.1\r\nHost: evil.example.net\r\n\r\n"))
                .startsWith("HTTP/1.1 301").contains("location: https://" + DOMAIN + ":" + tlsPort + "/room?x=1\r\n");
        assertThat(http("GET /.well-known/acme-challenge/AAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: " + DOMAIN
                + "\r\n\r\n")).startsWith("HTTP/1.1 404");
    }

    @Test
    void renewsAStoredCertificateAboutToExpire() throws Exception {
        CertifiedKey old = seed(Duration.ofDays(89), Duration.ofDays(1));
        pebble = Pebble.start(dir, tlsPort, httpPort, List.of());
        start(pebble.directory(), pebble.caFile());

        awaitIssued(1);

        X509Certificate leaf = served(List.of(pebble.root()));
        assertThat(fingerprint(leaf)).isNotEqualTo(old.fingerprintSha256())
                .isEqualTo(server.acme().certificate().fingerprintSha256());
        assertThat(leaf.getNotAfter()).isAfter(old.leaf().getNotAfter());
        assertThat(new AcmeStateDir(dir.resolve("state")).certificate().orElseThrow().fingerprintSha256())
                .as("stored for the next start").isEqualTo(fingerprint(leaf));
    }

    @Test
    void theCaDownKeepsTheWorkingCertificateAndRetriesWithBackOff() throws Exception {
        CertifiedKey old = seed(Duration.ofDays(89), Duration.ofDays(1));
        start("https://127.0.0.1:" + Pebble.freeTcpPort() + "/dir", null);

        await("three failed orders", () -> orders("failed") >= 3);

        assertThat(orders("issued")).isZero();
        assertThat(server.acme().lastFailure()).isNotBlank();
        assertThat(fingerprint(served(List.of(old.leaf())))).isEqualTo(old.fingerprintSha256());
        assertThat(server.acme().certificate().fingerprintSha256()).isEqualTo(old.fingerprintSha256());
    }

    @Test
    void aDomainTheCaRefusesFailsCleanlyAndTheSelfSignedCertificateStays() throws Exception {
        assertThatThrownBy(() -> TestSettings.loopback("tls.acme.domains=*.acme.test"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("tls.acme.domains[0]: *.acme.test");
        assertThatThrownBy(() -> TestSettings.loopback("tls.acme.domains=127.0.0.1"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("tls.acme.domains[0]: 127.0.0.1");
        pebble = Pebble.start(dir, tlsPort, httpPort, List.of(BLOCKED));
        List<String> overrides = new ArrayList<>(List.of("tls.acme.domains=" + BLOCKED));
        start(pebble.directory(), pebble.caFile(), overrides.toArray(String[]::new));

        String selfSigned = anyServedFingerprint();
        await("a failed order", () -> orders("failed") >= 1);

        assertThat(orders("issued")).isZero();
        assertThat(server.acme().lastFailure()).containsIgnoringCase("blocked");
        assertThat(server.acme().certificate()).isNull();
        assertThat(anyServedFingerprint()).as("still the self-signed one").isEqualTo(selfSigned);
    }

    /** A certificate for {@code DOMAIN} in the state directory, issued {@code age} ago, expiring in {@code left}. */
    private CertifiedKey seed(Duration age, Duration left) throws Exception {
        KeyPair key = AcmeStateDir.newKeyPair();
        X500Name name = new X500Name("CN=" + DOMAIN);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                new BigInteger(64, new SecureRandom()), Date.from(now.minus(age)), Date.from(now.plus(left)), name,
                key.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, DOMAIN)));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        AcmeStateDir state = new AcmeStateDir(dir.resolve("state"));
        state.prepare();
        state.store(key, List.of(cert));
        return new CertifiedKey(key.getPrivate(), List.of(cert));
    }

    private String ops(String path) throws Exception {
        InetSocketAddress ops = server.opsAddress();
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + ops.getPort() + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private String http(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", httpPort), 5000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
