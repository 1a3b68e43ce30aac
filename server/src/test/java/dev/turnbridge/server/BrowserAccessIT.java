package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.AllocationInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Access control with real browsers ({@code e2e/access-calls.mjs}, headless Chromium as in
 * {@link BrowserCallIT}): long relay-only calls over UDP and TCP at once under a 60 s credential TTL, kept
 * alive by ICE restarts with the fresh credentials signaling pushes (the relay must see allocations made with
 * the new credentials); and a relayed call whose room the operator closes (media stops within 1 s, the old
 * credential is refused). {@code -DskipBrowser=true} skips them; {@code -DaccessCallSeconds=N} shortens the
 * long calls (300 by default, as the issue asks).
 */
class BrowserAccessIT {
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HINT = " (scripts/test installs it: apt-get install -y chromium nodejs npm;"
            + " npm ci --prefix e2e), or run with -DskipBrowser=true";

    private static TurnbridgeServer start() {
        return TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), List.of(
                "signaling.access=open",
                "auth.secrets=browser-access-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "signaling.turn-credential-ttl=60s",
                "metrics.listen=127.0.0.1:0",
                "admin.token=" + ADMIN_TOKEN)));
    }

    @Test
    void longCallsSurviveCredentialRenewalsOverUdpAndTcp() throws Exception {
        int seconds = Integer.getInteger("accessCallSeconds", 300);
        try (TurnbridgeServer server = start()) {
            // which credentials the relay saw allocations made with, per member (<room>:<peer>)
            Map<String, Set<String>> seen = new ConcurrentHashMap<>();
            ScheduledExecutorService poll = Executors.newSingleThreadScheduledExecutor();
            poll.scheduleWithFixedDelay(() -> {
                try {
                    for (AllocationInfo a : server.relay().allocations().get(5, TimeUnit.SECONDS)) {
                        String member = a.username().substring(a.username().indexOf(':') + 1);
                        seen.computeIfAbsent(member, m -> ConcurrentHashMap.newKeySet()).add(a.username());
                    }
                } catch (Exception e) {
                    // the server is stopping
                }
            }, 0, 1, TimeUnit.SECONDS);
            String log;
            try {
                log = node(List.of("long", "http://127.0.0.1:" + server.signalingAddresses().get(0).getPort(),
                        Integer.toString(seconds)), Map.of(), seconds + 180);
            } finally {
                poll.shutdownNow();
            }
            assertThat(log).contains("PASS long udp", "PASS long tcp", "PASS: relay-only calls over udp and tcp");
            // every page renewed its credentials, and the relay saw allocations made with the renewed ones
            int renewals = Math.max(1, seconds / 45 - 1);
            List<String> pages = log.lines().filter(l -> l.startsWith("CREDENTIALS ")).toList();
            assertThat(pages).hasSize(4);
            for (String line : pages) {
                JsonNode usernames = JSON.readTree(line.substring(line.indexOf('[')));
                assertThat(usernames.size()).as("credentials held by %s", line).isGreaterThan(renewals);
                Set<String> held = new HashSet<>();
                usernames.forEach(u -> held.add(u.asText()));
                String member = held.iterator().next().substring(held.iterator().next().indexOf(':') + 1);
                Set<String> allocated = seen.getOrDefault(member, Set.of());
                Set<String> both = new HashSet<>(held);
                both.retainAll(allocated);
                assertThat(both).as("credentials %s held that the relay saw allocations with (%s)", held, allocated)
                        .hasSizeGreaterThan(renewals);
            }
        }
    }

    @Test
    void closingTheRoomStopsARelayedCallAndTheCredential() throws Exception {
        try (TurnbridgeServer server = start()) {
            String log = node(List.of("revoke", "http://127.0.0.1:" + server.signalingAddresses().get(0).getPort(),
                    "http://127.0.0.1:" + server.opsAddress().getPort() + "/"), Map.of("ADMIN_TOKEN", ADMIN_TOKEN), 180);
            assertThat(log).contains("PASS revoke");
            assertThat(server.relay().allocationCount()).isZero();
            String line = log.lines().filter(l -> l.startsWith("CREDENTIAL ")).findFirst().orElseThrow();
            JsonNode credential = JSON.readTree(line.substring("CREDENTIAL ".length()));
            try (TestTurnClient again = new TestTurnClient(server.relayAddresses().get(0),
                    credential.get("username").asText(), credential.get("credential").asText())) {
                assertThat(again.allocate().errorCode()).as("re-Allocate with the old credential").isEqualTo(401);
            }
        }
    }

    /** Runs the e2e script; returns its output after checking it finished in time with exit code 0. */
    private static String node(List<String> args, Map<String, String> env, long timeoutSeconds) throws Exception {
        assumeFalse(Boolean.getBoolean("skipBrowser"), "skipped with -DskipBrowser=true");
        Path root = repositoryRoot();
        require(Files.isExecutable(Path.of("/usr/bin/chromium")), "/usr/bin/chromium is missing");
        require(Files.isDirectory(root.resolve("e2e/node_modules/playwright-core")),
                "e2e/node_modules/playwright-core is missing");
        List<String> command = new ArrayList<>(List.of("node", root.resolve("e2e/access-calls.mjs").toString()));
        command.addAll(args);
        Path output = Files.createTempFile("access-calls", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().putAll(new HashMap<>(env));
            Process node = builder.start();
            boolean finished = node.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String log = Files.readString(output, StandardCharsets.UTF_8);
            System.out.println(log);
            assertThat(finished).as("browser test finished within %d s:%n%s", timeoutSeconds, log).isTrue();
            assertThat(node.exitValue()).as("exit code of the browser test:%n%s", log).isZero();
            return log;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            fail(what + HINT);
        }
    }

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
