package dev.turnbridge.server.acme;

import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.SelfSignedCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * Let's Encrypt's test CA on loopback for one test: {@code pebble} with a config written here (its API on a
 * free 127.0.0.1 port with a certificate made here, its validation ports pointed at our listeners) and
 * {@code pebble-challtestsrv} as its only DNS server, answering every A query with 127.0.0.1 and no AAAA, so
 * that no name is ever looked up outside the machine. Both processes are ended (by their handles) on close.
 */
final class Pebble implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private Path caFile;
    private int apiPort;
    private int managementPort;
    private SSLContext trustingApi;

    private Pebble() {
    }

    private void launch(Path dir, int tlsPort, int httpPort, List<String> blocked) throws Exception {
        CertifiedKey api = SelfSignedCertificate.generate("pebble");
        caFile = Files.writeString(dir.resolve("pebble-api.pem"), pem(api.leaf()));
        Path keyFile = Files.writeString(dir.resolve("pebble-api.key"), pem(new JcaPKCS8Generator(api.key(), null)));
        apiPort = freeTcpPort();
        managementPort = freeTcpPort();
        int dnsPort = freeUdpPort();
        int dnsManagementPort = freeTcpPort();
        StringBuilder list = new StringBuilder();
        for (String b : blocked) {
            list.append(list.length() == 0 ? "" : ",").append('"').append(b).append('"');
        }
        Path config = Files.writeString(dir.resolve("pebble-config.json"), """
                {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                  "ocspResponderURL": "", "externalAccountBindingRequired": false,
                  "domainBlocklist": [%s]}}
                """.formatted(apiPort, managementPort, caFile, keyFile, httpPort, tlsPort, list));
        start(dir.resolve("challtestsrv.log"), Map.of(), "pebble-challtestsrv",
                "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + dnsManagementPort, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "");
        // no sleeps before validation, every nonce accepted, no authorization reused: each order validates
        start(dir.resolve("pebble.log"), Map.of("PEBBLE_VA_NOSLEEP", "1", "PEBBLE_WFE_NONCEREJECT", "0",
                "PEBBLE_AUTHZREUSE", "0"), "pebble", "-config", config.toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort);
        trustingApi = trusting(List.of(api.leaf()));
        awaitReady();
    }

    /** Starts both servers; {@code blocked} names the CA refuses to issue for. */
    static Pebble start(Path dir, int tlsPort, int httpPort, List<String> blocked) throws Exception {
        require("pebble");
        require("pebble-challtestsrv");
        for (int attempt = 1; ; attempt++) {
            Pebble pebble = new Pebble();
            try {
                pebble.launch(dir, tlsPort, httpPort, blocked);
                return pebble;
            } catch (IOException e) {
                pebble.close(); // a failed start leaves nothing running
                // a port found free was taken by another test before pebble bound it: new ports, twice more
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().contains("address already in use")) {
                    throw e;
                }
            } catch (Exception | AssertionError e) {
                pebble.close();
                throw e;
            }
        }
    }

    private static void require(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new AssertionError(tool + " is not installed: scripts/test installs it (apt-get install -y pebble),"
                + " or run with -DskipInterop=true");
    }

    String directory() {
        return "https://127.0.0.1:" + apiPort + "/dir";
    }

    Path caFile() {
        return caFile;
    }

    /** The root of the chains this Pebble issues (it makes a new one each start). */
    X509Certificate root() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingApi).connectTimeout(Duration.ofSeconds(5))
                .build();
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + managementPort + "/roots/0")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("pebble management API: HTTP " + response.statusCode());
        }
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(response.body()));
    }

    static SSLContext trusting(List<X509Certificate> roots) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < roots.size(); i++) {
            store.setCertificateEntry("root-" + i, roots.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    private void awaitReady() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingApi).connectTimeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < processes.size(); i++) {
                if (!processes.get(i).isAlive()) {
                    throw new IOException(logs.get(i).getFileName() + ": exited with " + processes.get(i).exitValue()
                            + ":\n" + Files.readString(logs.get(i)));
                }
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(directory()))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IOException("pebble did not answer on " + directory(), last);
    }

    private void start(Path log, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        processes.add(pb.start());
        logs.add(log);
    }

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
