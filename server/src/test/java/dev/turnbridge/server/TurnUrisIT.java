package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.SettingsLoader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Derived TURN URIs carry the ports the relay really bound (every listener at port 0 here) and, for
 * {@code turns:}, the name the configured certificate covers; read through the TURN REST endpoint.
 */
class TurnUrisIT {
    private static final String API_KEY = "api-key-0123456789";

    @TempDir
    Path dir;

    @Test
    void selfSignedDevelopmentServerHandsOutItsBoundPortsAtTheAddressUsed() throws Exception {
        try (TurnbridgeServer server = start()) {
            int udp = server.relayAddresses().get(0).getPort();
            int tcp = server.tcpAddresses().get(0).getPort();
            int tls = server.tlsAddresses().get(0).getPort();

            assertThat(uris(server)).containsExactly("stun:127.0.0.1:" + udp, "turn:127.0.0.1:" + udp + "?transport=udp",
                    "turn:127.0.0.1:" + tcp + "?transport=tcp", "turns:127.0.0.1:" + tls + "?transport=tcp");
            assertThat(udp).isNotZero();
            assertThat(tcp).isNotZero();
            assertThat(tls).isNotZero();
        }
    }

    @Test
    void turnsUrisNameTheConfiguredCertificatesHost() throws Exception {
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        writeCertificate(cert, key, "*.example.org", "turn.example.org");

        try (TurnbridgeServer server = start("tls.cert-file=" + cert, "tls.key-file=" + key,
                "relay.external-address=203.0.113.7")) {
            int tls = server.tlsAddresses().get(0).getPort();

            assertThat(uris(server)).contains("turns:turn.example.org:" + tls + "?transport=tcp");
        }
    }

    @Test
    void turnsHostSettingWinsOverTheCertificate() throws Exception {
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        writeCertificate(cert, key, "turn.example.org");

        try (TurnbridgeServer server = start("tls.cert-file=" + cert, "tls.key-file=" + key,
                "signaling.turns-host=relay.example.net", "listeners.udp=", "listeners.tcp=")) {
            int tls = server.tlsAddresses().get(0).getPort();

            assertThat(uris(server)).containsExactly("turns:relay.example.net:" + tls + "?transport=tcp");
        }
    }

    private static TurnbridgeServer start(String... extra) {
        List<String> overrides = new ArrayList<>(List.of(
                "auth.secrets=turn-uris-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "signaling.api-key=" + API_KEY,
                "metrics.enabled=false",
                "signaling.access=open"));
        overrides.addAll(List.of(extra));
        return TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), overrides));
    }

    private static List<String> uris(TurnbridgeServer server) throws Exception {
        int port = server.signalingAddresses().get(0).getPort();
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + port + "/api/turn?service=turn&username=alice&key=" + API_KEY))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> uris = new ArrayList<>();
        for (JsonNode uri : new ObjectMapper().readTree(response.body()).get("uris")) {
            uris.add(uri.asText());
        }
        return uris;
    }

    /** A self-issued certificate standing in for an ACME one: PEM chain and key, as certbot writes them. */
    private static void writeCertificate(Path cert, Path key, String... dnsNames) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=" + dnsNames[dnsNames.length - 1]);
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.TWO, new Date(),
                Date.from(Instant.now().plus(Duration.ofDays(1))), name, pair.getPublic());
        GeneralName[] altNames = new GeneralName[dnsNames.length];
        for (int i = 0; i < dnsNames.length; i++) {
            altNames[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
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
