package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.transport.StreamTurnClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One loopback TLS port ({@code listeners.tls} and {@code signaling.tls-listen} on the same address) serves TURN
 * over TLS and HTTPS/WSS: TURN clients with and without ALPN allocate, curl with and without ALPN gets the demo
 * page (with HSTS: the certificate is a configured one), a WebSocket client joins a room over wss and is handed a
 * {@code turns:} URI naming this same port, and the signaling connection limit holds on this port as on its own.
 */
class OnePortIT {
    @TempDir
    static Path dir;
    private static Path cert;
    private static TurnbridgeServer server;
    private static InetSocketAddress port;

    @BeforeAll
    static void start() throws Exception {
        cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        writeCertificate(cert, key);
        server = TurnbridgeServer.start(TestSettings.loopback(
                "listeners.tls=127.0.0.1:0",
                "signaling.tls-listen=127.0.0.1:0",
                "signaling.connections-per-ip=4",
                "tls.cert-file=" + cert, "tls.key-file=" + key));
        assertThat(server.sharedTlsAddresses()).hasSize(1);
        port = server.sharedTlsAddresses().get(0);
        assertThat(server.tlsAddresses()).containsExactly(port);
        assertThat(server.httpsAddresses()).isEmpty();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "ALPN [{0}]")
    @ValueSource(strings = {"stun.turn", ""})
    void turnClientAllocatesOnTheSharedPort(String alpn) throws Exception {
        String username = Instant.now().plusSeconds(600).getEpochSecond() + ":one-port";
        String password = RestCredentials.password(new Secret(TestSettings.SECRET), username);
        String[] offered = alpn.isEmpty() ? new String[0] : new String[] {alpn};
        try (StreamTurnClient client = StreamTurnClient.tls(port, username, password, "TLSv1.3", offered)) {
            assertThat(((SSLSocket) client.socket()).getApplicationProtocol()).isEqualTo(alpn);
            StreamTurnClient.Reply reply = client.allocate(b -> { });
            assertThat(reply.isSuccess()).as("error %d", reply.errorCode()).isTrue();
            assertThat(reply.relayed()).isNotEmpty();
        }
    }

    @ParameterizedTest(name = "curl {0}")
    @ValueSource(strings = {"--http1.1", "--no-alpn"})
    void curlGetsTheDemoPageOnTheSharedPort(String alpnFlag) throws Exception {
        Path headers = dir.resolve("headers" + alpnFlag + ".txt");
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", alpnFlag, "--cacert", cert.toString(),
                "-D", headers.toString(), "https://127.0.0.1:" + port.getPort() + "/")
                .redirectErrorStream(true).start();
        String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as(body).isZero();
        String head = Files.readString(headers).toLowerCase();
        assertThat(head).startsWith("http/1.1 200").contains("strict-transport-security: max-age=31536000");
        assertThat(body).contains("<title>turnbridge demo call</title>");
    }

    @Test
    void webSocketClientJoinsOverWssAndIsToldThisPortForTurns() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting()).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String base = "https://127.0.0.1:" + port.getPort();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/api/rooms"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String code = new ObjectMapper().readTree(created.body()).get("code").asText();

        LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("wss://127.0.0.1:" + port.getPort() + "/ws/v1"), new Collector(messages))
                .get(10, TimeUnit.SECONDS);
        try {
            ws.sendText("{\"type\":\"join\",\"ref\":\"1\",\"room\":\"" + code + "\"}", true).get(5, TimeUnit.SECONDS);
            JsonNode joined = null;
            for (int i = 0; i < 5 && joined == null; i++) {
                String text = messages.poll(10, TimeUnit.SECONDS);
                assertThat(text).as("a message within 10 s").isNotNull();
                JsonNode message = new ObjectMapper().readTree(text);
                if (message.get("type").asText().equals("joined")) {
                    joined = message;
                }
            }
            assertThat(joined).as("joined").isNotNull();
            List<String> urls = new ArrayList<>();
            joined.get("iceServers").forEach(s -> s.get("urls").forEach(u -> urls.add(u.asText())));
            assertThat(urls).contains("turns:127.0.0.1:" + port.getPort() + "?transport=tcp");
        } finally {
            ws.abort();
        }
    }

    @Test
    void connectionsPerIpLimitHoldsOnTheSharedPort() throws Exception {
        // four HTTP connections take the limit (the first bytes route them, then they count); the fifth is closed
        // at once, as signaling's own listeners close it at accept
        List<SSLSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                SSLSocket s = tls("http/1.1");
                s.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                held.add(s);
            }
            Thread.sleep(200); // the routed connections are counted on the event loop
            assertThat(roomLookup()).as("over the limit").isEmpty();
            // TURN connections are not HTTP connections: the relay's own limits apply to them
            String username = Instant.now().plusSeconds(600).getEpochSecond() + ":one-port";
            try (StreamTurnClient turn = StreamTurnClient.tls(port, username,
                    RestCredentials.password(new Secret(TestSettings.SECRET), username), "TLSv1.3", "stun.turn")) {
                assertThat(turn.allocate(b -> { }).isSuccess()).isTrue();
            }
        } finally {
            for (SSLSocket s : held) {
                s.close();
            }
        }
        Thread.sleep(200); // the closed connections are released on the event loop
        assertThat(roomLookup()).as("under the limit again").startsWith("HTTP/1.1 404").contains("room_not_found");
    }

    /** A request without ALPN for a room that does not exist: the raw answer, empty when the server closed. */
    private static String roomLookup() throws Exception {
        try (SSLSocket s = tls("")) {
            OutputStream out = s.getOutputStream();
            out.write("GET /api/rooms/ABCDEFGH HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.io.IOException closedDuringTls) {
            return "";
        }
    }

    @Test
    void turnFrameLimitHoldsOnTheSharedPort() throws Exception {
        // a STUN header announcing more than listeners.max-datagram-size: the TURN path closes the connection,
        // exactly as a TLS listener of its own does
        try (SSLSocket s = tls("")) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0x00, 0x01, (byte) 0xFF, (byte) 0xF0, 0x21, 0x12, (byte) 0xA4, 0x42,
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
            out.flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void httpsListenerOfItsOwnServesThePageWithoutHstsForTheSelfSignedCertificate() throws Exception {
        try (TurnbridgeServer own = TurnbridgeServer.start(TestSettings.loopback(
                "listeners.tls=", "signaling.tls-listen=127.0.0.1:0"))) {
            assertThat(own.sharedTlsAddresses()).isEmpty();
            assertThat(own.httpsAddresses()).hasSize(1);
            int https = own.httpsAddresses().get(0).getPort();
            Path selfSigned = dir.resolve("self-signed.pem");
            Files.writeString(selfSigned, pem(own.tlsCertificate().leaf()));
            Path headers = dir.resolve("own-headers.txt");
            Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--cacert", selfSigned.toString(),
                    "-D", headers.toString(), "https://127.0.0.1:" + https + "/")
                    .redirectErrorStream(true).start();
            String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as(body).isZero();
            String head = Files.readString(headers).toLowerCase();
            assertThat(head).startsWith("http/1.1 200").doesNotContain("strict-transport-security");
            assertThat(body).contains("<title>turnbridge demo call</title>");
        }
    }

    private static SSLSocket tls(String alpn) throws Exception {
        SSLSocket s = (SSLSocket) trusting().getSocketFactory().createSocket("127.0.0.1", port.getPort());
        s.setSoTimeout(10_000);
        SSLParameters params = s.getSSLParameters();
        params.setApplicationProtocols(alpn.isEmpty() ? new String[0] : new String[] {alpn});
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
    }

    /** Trusts exactly the test certificate. */
    private static SSLContext trusting() throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            store.setCertificateEntry("test", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    private record Collector(LinkedBlockingQueue<String> messages) implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            messages.add(data.toString());
            webSocket.request(1);
            return CompletableFuture.completedFuture(null);
        }
    }

    /** A self-issued certificate for localhost and 127.0.0.1, standing in for an ACME one: PEM chain and key. */
    static void writeCertificate(Path cert, Path key) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=localhost");
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.TWO,
                Date.from(Instant.now().minus(Duration.ofHours(1))),
                Date.from(Instant.now().plus(Duration.ofDays(1))), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        }));
        X509Certificate certificate = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        Files.writeString(cert, pem(certificate));
        Files.writeString(key, pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
    }

    private static String pem(Object object) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
