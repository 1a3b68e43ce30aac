package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        assumeFalse(Boolean.getBoolean("skipBrowser"), "skipped with -DskipBrowser=true");
        Path root = repositoryRoot();
        Path script = root.resolve("e2e/browser-call.mjs");
        require(Files.isExecutable(Path.of("/usr/bin/chromium")), "/usr/bin/chromium is missing");
        require(Files.isDirectory(root.resolve("e2e/node_modules/playwright-core")),
                "e2e/node_modules/playwright-core is missing");
        require(onPath("node"), "node is not on the PATH");

        Settings settings = SettingsLoader.load(null, Map.of(), List.of(
                "auth.secrets=browser-call-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        try (TurnbridgeServer server = TurnbridgeServer.start(settings)) {
            int port = server.signalingAddresses().get(0).getPort();
            String spkiPin = server.tlsCertificate().spkiSha256Base64();
            Path output = Files.createTempFile("browser-call", ".log");
            try {
                ProcessBuilder command = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + port,
                        spkiPin);
                command.environment().remove("TRANSPORTS");
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
                assertThat(log).contains("PASS udp: both sides relay/relay over udp with decoded frames; A saw B",
                        "PASS tcp: both sides relay/relay over tcp with decoded frames",
                        "PASS tls: both sides relay/relay over tls with decoded frames",
                        "PASS: relay-only calls over udp, tcp, tls");
            } finally {
                Files.deleteIfExists(output);
            }
        }
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
