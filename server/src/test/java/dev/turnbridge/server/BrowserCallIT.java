package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Real relayed video calls: headless Chromium (Debian's {@code chromium}) driven by {@code playwright-core}
 * runs {@code e2e/browser-call.mjs} against an in-process turnbridge on loopback, once per TURN transport:
 * UDP, TCP ({@code turn:...?transport=tcp}) and TLS ({@code turns:}, the self-signed development certificate
 * trusted by its SPKI pin only). Each call must select a relay/relay pair whose local {@code relayProtocol} is
 * that transport, on both sides, with decoded video. Fails, not skips, when the browser or the node modules
 * are missing ({@code scripts/test} installs them); {@code -DskipBrowser=true} skips it deliberately.
 */
class BrowserCallIT {

    private static final String HINT = " (scripts/test installs it: apt-get install -y chromium nodejs npm;"
            + " npm ci --prefix e2e), or run with -DskipBrowser=true";
    private static final long TIMEOUT_SECONDS = 130;

    @Test
    void twoBrowsersCallThroughTheRelayOverUdpTcpAndTls() throws Exception {
        Path root = browserReadyRoot();
        Path script = root.resolve("e2e/browser-call.mjs");

        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "auth.secrets=browser-call-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        try (TurnbridgeServer server = TurnbridgeServer.start(settings)) {
            String base = "http://127.0.0.1:" + server.signalingAddresses().get(0).getPort();
            String log = runBrowserCall(root, script, base, server, Map.of());
            assertThat(log).contains("PASS udp: both sides relay/relay over udp with decoded frames; A saw B",
                    "PASS tcp: both sides relay/relay over tcp with decoded frames",
                    "PASS tls: both sides relay/relay over tls with decoded frames",
                    "PASS: relay-only calls over udp, tcp, tls");
        }
    }

    /**
     * The demo page with jwt access: the pages get their access tokens from a test-only token endpoint (HS256,
     * one user per token, naming the room once the page knows it), as an app's backend would hand them out.
     * The creator's room is private, so the second page gets in only with a token that names the room.
     */
    @Test
    void theDemoPageCallsThroughTheRelayWithJwtAccess() throws Exception {
        Path root = browserReadyRoot();
        Path script = root.resolve("e2e/browser-call.mjs");

        byte[] jwtSecret = "browser-call-jwt-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        Settings settings = SettingsLoader.load(null, Map.of(), List.of(
                "signaling.access=jwt",
                "signaling.jwt.secret=" + new String(jwtSecret, StandardCharsets.UTF_8),
                "auth.secrets=browser-call-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        List<String> issued = new CopyOnWriteArrayList<>();
        AtomicInteger users = new AtomicInteger();
        HttpServer tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokens.createContext("/token", exchange -> {
            String query = exchange.getRequestURI().getQuery();
            String room = query != null && query.startsWith("room=") ? query.substring(5) : null;
            JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("user-" + users.incrementAndGet())
                    .audience("authenticated").expirationTime(Date.from(Instant.now().plusSeconds(600)));
            if (room != null) {
                claims.claim("room", room);
            }
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
            try {
                jwt.sign(new MACSigner(jwtSecret));
            } catch (JOSEException e) {
                throw new IOException(e);
            }
            issued.add(room == null ? "no room" : "room " + room);
            byte[] body = ("{\"token\":\"" + jwt.serialize() + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        tokens.start();
        try (TurnbridgeServer server = TurnbridgeServer.start(settings)) {
            int port = server.signalingAddresses().get(0).getPort();
            HttpResponse<String> anonymous = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/rooms")).POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).as("no token: %s", anonymous.body()).isEqualTo(401);

            String log = runBrowserCall(root, script, "http://127.0.0.1:" + port, server, Map.of(
                    "TRANSPORTS", "udp",
                    "TOKEN_URL", "http://127.0.0.1:" + tokens.getAddress().getPort() + "/token"));
            assertThat(log).contains("PASS udp: both sides relay/relay over udp with decoded frames; A saw B",
                    "PASS: relay-only calls over udp");
            assertThat(issued).as("tokens handed out").contains("no room")
                    .anySatisfy(t -> assertThat(t).startsWith("room "));
        } finally {
            tokens.stop(0);
        }
    }

    /**
     * One TLS port: the page loads over https from the port the relay serves TURN over TLS on, signaling runs
     * over wss on it, and the relay-only call's {@code turns:} URI names that same port. Chromium trusts the
     * self-signed certificate by its SPKI pin only, for the page and for TURN alike.
     */
    @Test
    void pageWssAndTurnsCallShareOneTlsPort() throws Exception {
        Path root = browserReadyRoot();
        Path script = root.resolve("e2e/browser-call.mjs");

        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "auth.secrets=browser-call-secret",
                "listeners.udp=",
                "listeners.tcp=",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "signaling.tls-listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        try (TurnbridgeServer server = TurnbridgeServer.start(settings)) {
            int port = server.sharedTlsAddresses().get(0).getPort();
            String log = runBrowserCall(root, script, "https://127.0.0.1:" + port, server,
                    Map.of("TRANSPORTS", "tls"));
            assertThat(log).contains("PASS tls: both sides relay/relay over tls with decoded frames",
                    "via [\"turns:127.0.0.1:" + port + "?transport=tcp\"]", "PASS: relay-only calls over tls");
        }
    }

    /**
     * Runs e2e/browser-call.mjs against {@code server}, its pages loaded from {@code base} (bounded), and returns
     * its output; fails on a non-zero exit.
     */
    private static String runBrowserCall(Path root, Path script, String base, TurnbridgeServer server,
                                         Map<String, String> env) throws Exception {
        String spkiPin = server.tlsCertificate().spkiSha256Base64();
        Path output = Files.createTempFile("browser-call", ".log");
        try {
            ProcessBuilder command = new ProcessBuilder("node", script.toString(), base, spkiPin);
            command.environment().remove("TRANSPORTS");
            command.environment().remove("TOKEN_URL");
            command.environment().putAll(env);
            Process node = command
                    .directory(root.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean finished = node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String log = Files.readString(output, StandardCharsets.UTF_8);
            System.out.println(log);
            assertThat(finished).as("browser test finished within %d s:%n%s", TIMEOUT_SECONDS, log).isTrue();
            assertThat(node.exitValue()).as("exit code of the browser test:%n%s", log).isZero();
            return log;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * The repository root once the browser test can run: skipped only with -DskipBrowser=true, failed when
     * Chromium, playwright-core or node is missing. Shared with the other browser tests of this package.
     */
    static Path browserReadyRoot() throws IOException {
        assumeFalse(Boolean.getBoolean("skipBrowser"), "skipped with -DskipBrowser=true");
        Path root = repositoryRoot();
        require(Files.isExecutable(Path.of("/usr/bin/chromium")), "/usr/bin/chromium is missing");
        require(Files.isDirectory(root.resolve("e2e/node_modules/playwright-core")),
                "e2e/node_modules/playwright-core is missing");
        require(onPath("node"), "node is not on the PATH");
        return root;
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            fail(what + HINT);
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Surefire runs in the module directory; the e2e folder sits at the repository root. */
    private static Path repositoryRoot() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++) {
            if (Files.isDirectory(dir.resolve("e2e"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IOException("no e2e/ folder above " + Path.of("").toAbsolutePath());
    }
}
