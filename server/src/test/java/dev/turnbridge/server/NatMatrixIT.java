package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The promise, tested: video calls between headless Chromium clients behind simulated hard networks connect
 * through turnbridge. {@code scripts/nat-matrix} builds a small internet in network namespaces (a bridge with
 * global unicast addresses, so the default peer policy stays on; the server in its own namespace on its public
 * address with {@code turns:} on 443; per client a router namespace doing one NAT type and a client namespace
 * running Chromium), runs the calls and removes everything. This test runs the reduced matrix with the full
 * {@code iceServers} signaling hands out (symmetric/symmetric, UDP blocked on both sides, only TCP 443 open on
 * both sides) and asserts every call connects with video both ways; then the broken build: without the
 * {@code turns:...:443} URI the 443-only pair cannot connect; then that a run interrupted by SIGTERM and one
 * stopped by its own watchdog leave nothing.
 * After every run: no namespace of its prefix, no process it started, no directory of it is left.
 *
 * <p>Needs root with iproute2 and nftables ({@code scripts/test} installs them): without network namespaces it
 * fails with the reason; {@code -DskipNatMatrix=true} skips it deliberately. The server runs in its own JVM
 * inside the server namespace, from this test run's class path.
 */
class NatMatrixIT {

    private static final String SKIP = " (scripts/test installs what it needs; -DskipNatMatrix=true skips it)";
    /** Above the harness's own watchdog for these runs (150 s + 3 rounds of one call x (45 + 60) s). */
    private static final long RUN_SECONDS = 480;
    /** Generous: a call ends as soon as it connects (3-13 s at load average 20, 22-31 s at 34); only a bound. */
    private static final String CALL_TIMEOUT = "45";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Thread> HOOKS = new ConcurrentHashMap<>();

    private static Path root;

    @BeforeAll
    static void requirements() throws Exception {
        assumeFalse(Boolean.getBoolean("skipNatMatrix"), "skipped with -DskipNatMatrix=true");
        root = repositoryRoot();
        require(Files.isExecutable(root.resolve("scripts/nat-matrix")), "scripts/nat-matrix is missing");
        require(Files.isExecutable(Path.of("/usr/bin/chromium")), "/usr/bin/chromium is missing");
        require(Files.isDirectory(root.resolve("e2e/node_modules/playwright-core")),
                "e2e/node_modules/playwright-core is missing");
        Process check = new ProcessBuilder(root.resolve("scripts/nat-matrix").toString(), "--check", "--prefix",
                prefix("tbc")).redirectErrorStream(true).start();
        String why = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!check.waitFor(30, TimeUnit.SECONDS)) {
            check.destroyForcibly();
            fail("scripts/nat-matrix --check did not finish within 30 s");
        }
        if (check.exitValue() != 0) {
            fail(why);   // names the reason and -DskipNatMatrix=true
        }
    }

    @Test
    void everyCallOfTheReducedMatrixConnectsWithVideoBothWays() throws Exception {
        Run run = harness("tbr", "--pairs", "symmetric:symmetric,udp-blocked:udp-blocked,tcp443-only:tcp443-only",
                "--modes", "full", "--require-all", "--call-timeout", CALL_TIMEOUT, "--concurrency", "1");
        assertThat(run.exitCode).as("nat-matrix exit code:%n%s", run.output).isZero();
        List<JsonNode> calls = run.calls();
        assertThat(calls).as(run.output).hasSize(3);
        for (JsonNode call : calls) {
            String which = call.get("a").asText() + "/" + call.get("b").asText() + ": " + call;
            assertThat(call.get("connected").asBoolean()).as(which).isTrue();
            assertThat(call.get("framesA").asInt()).as(which).isPositive();
            assertThat(call.get("framesB").asInt()).as(which).isPositive();
            assertThat(call.get("iceUrls").toString()).as(which).contains("turns:11.11.11.10:443?transport=tcp");
        }
        // Symmetric NAT on both sides: no direct path; at least one side goes through the relay.
        JsonNode symmetric = find(calls, "symmetric");
        assertThat(symmetric.get("pairA").asText() + symmetric.get("pairB").asText()).contains("relay");
        // No UDP at all: the relay is reached over TCP or TLS, never UDP.
        JsonNode udpBlocked = find(calls, "udp-blocked");
        assertThat(List.of(udpBlocked.get("pairA").asText(), udpBlocked.get("pairB").asText()))
                .allMatch(pair -> pair.startsWith("relay/"));
        assertThat(List.of(udpBlocked.get("relayProtocolA").asText(), udpBlocked.get("relayProtocolB").asText()))
                .allMatch(p -> p.equals("tcp") || p.equals("tls"));
        // Only TCP 443 out: both sides must use turns: on 443 (5349 and 3478 are closed).
        JsonNode tcp443 = find(calls, "tcp443-only");
        assertThat(tcp443.get("relayProtocolA").asText()).isEqualTo("tls");
        assertThat(tcp443.get("relayProtocolB").asText()).isEqualTo("tls");
    }

    /** The broken build: iceServers without turns: on 443. The same pair that connects above must fail. */
    @Test
    void withoutTheTurnsUriOn443TheTcp443OnlyPairCannotConnect() throws Exception {
        // the same bound as the calls that connect: on a loaded machine the offer alone can take 20 s
        Run run = harness("tbn", "--pairs", "tcp443-only:tcp443-only", "--modes", "full", "--call-timeout",
                CALL_TIMEOUT,
                "--set", "signaling.turn-uris=stun:{server}:3478,turn:{server}:3478?transport=udp,"
                        + "turn:{server}:3478?transport=tcp,turns:{server}:5349?transport=tcp");
        assertThat(run.exitCode).as("nat-matrix exit code (a complete run):%n%s", run.output).isZero();
        List<JsonNode> calls = run.calls();
        assertThat(calls).as(run.output).hasSize(1);
        JsonNode call = calls.get(0);
        assertThat(call.get("iceUrls").toString()).as(run.output)
                .contains("turns:11.11.11.10:5349?transport=tcp").doesNotContain(":443");
        assertThat(call.get("connected").asBoolean()).as(run.output).isFalse();
        assertThat(call.get("error").asText()).as(run.output).isNotEmpty();
        // why: the firewall reset the connection to the only TLS relay port both sides were offered
        for (String side : List.of("A", "B")) {
            assertThat(call.get("candidateErrors" + side).toString()).as(run.output)
                    .contains("701 Failed to establish connection turns:11.11.11.10:5349?transport=tcp");
            assertThat(call.get("pair" + side).isNull()).as(run.output).isTrue();
        }
        assertThat(run.output).contains("per mode: full 0/1");
    }

    /** SIGTERM (what Ctrl-C and a timeout lead to) in the middle of a call: everything is still removed. */
    @Test
    void anInterruptedRunLeavesNothingBehind() throws Exception {
        String prefix = prefix("tbi");
        Path output = Files.createTempFile("nat-matrix", ".log");
        Process process = null;
        try {
            process = start(prefix, output, "--pairs", "eim-prf:full-cone", "--modes", "relay", "--call-timeout",
                    CALL_TIMEOUT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (!read(output).contains("server ready") && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(read(output)).as("the harness got as far as the calls").contains("server ready");
            Thread.sleep(2000);   // browsers starting or calling
            assertThat(namespaces(prefix)).as("namespaces while running").isNotEmpty();
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s of SIGTERM").isTrue();
            assertThat(process.exitValue()).as(read(output)).isEqualTo(130);
            assertThat(read(output)).contains("terminated, cleaning up");
        } finally {
            stop(process, prefix);
            Files.deleteIfExists(output);
        }
        assertNothingLeft(prefix);
    }

    /**
     * The harness's own watchdog: past --max-seconds it stops itself (exit 124) and removes everything. Two
     * seconds end it while the server or the browsers are still starting: with six, a quick machine once
     * finished the call first (server ready after 2 s, connected 1.6 s later), and the run was not cut short.
     */
    @Test
    void aRunPastItsDeadlineStopsItselfAndLeavesNothingBehind() throws Exception {
        Run run = harness("tbt", "--pairs", "symmetric:full-cone", "--modes", "full", "--max-seconds", "2");
        assertThat(run.exitCode).as(run.output).isEqualTo(124);
        assertThat(run.output).contains("timeout after 2 s, cleaning up").doesNotContain("CALL ");
    }

    private static JsonNode find(List<JsonNode> calls, String type) {
        return calls.stream().filter(c -> c.get("a").asText().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no call for " + type + " in " + calls));
    }

    private record Run(int exitCode, String output) {
        List<JsonNode> calls() throws IOException {
            List<JsonNode> calls = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("CALL ")) {
                    calls.add(JSON.readTree(line.substring(5)));
                }
            }
            return calls;
        }
    }

    /** One harness run to its end (bounded), then the check that nothing of it is left. */
    private static Run harness(String kind, String... args) throws Exception {
        String prefix = prefix(kind);
        Path output = Files.createTempFile("nat-matrix", ".log");
        Process process = null;
        try {
            process = start(prefix, output, args);
            boolean finished = process.waitFor(RUN_SECONDS, TimeUnit.SECONDS);
            String log = read(output);
            System.out.println(log);
            if (!finished) {
                fail("nat-matrix did not finish within " + RUN_SECONDS + " s:\n" + log);
            }
            if (process.exitValue() == 3) {
                fail(log.lines().filter(l -> l.contains("unavailable")).findFirst().orElse(log) + SKIP);
            }
            return new Run(process.exitValue(), log);
        } finally {
            stop(process, prefix);
            Files.deleteIfExists(output);
            assertNothingLeft(prefix);
        }
    }

    /**
     * Starts the harness. If this JVM is stopped before the test's finally runs (Ctrl-C on Maven, a killed
     * fork), a shutdown hook stops the harness and removes what it made; {@link #stop} unregisters it.
     */
    private static Process start(String prefix, Path output, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(root.resolve("scripts/nat-matrix").toString(),
                "--prefix", prefix, "--classpath", System.getProperty("java.class.path")));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().remove("JAVA_OPTS");
        Process process = builder.start();
        Thread hook = new Thread(() -> {
            try {
                stop(process, prefix);
            } catch (Exception e) {
                // the JVM is going away; nothing more to do
            }
        }, "nat-matrix-cleanup-" + prefix);
        HOOKS.put(prefix, hook);
        Runtime.getRuntime().addShutdownHook(hook);
        return process;
    }

    /** SIGTERM lets the harness's trap clean up; whatever is left after that, --cleanup removes. */
    private static void stop(Process process, String prefix) throws Exception {
        Thread hook = HOOKS.remove(prefix);
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        Process cleanup = new ProcessBuilder(root.resolve("scripts/nat-matrix").toString(), "--cleanup", prefix)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!cleanup.waitFor(60, TimeUnit.SECONDS)) {
            cleanup.destroyForcibly();
        }
    }

    /**
     * No namespace with the prefix, no process whose command line names the run, no run directory. Every veth
     * of a run has both ends in its namespaces (none in the root namespace), so it goes with them.
     */
    private static void assertNothingLeft(String prefix) throws Exception {
        assertThat(namespaces(prefix)).as("namespaces left by %s", prefix).isEmpty();
        String runDir = "/tmp/nat-matrix-" + prefix;
        String marker = "-Dturnbridge.natmatrix=" + prefix;
        List<String> left = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains(runDir) || cmdline.contains(marker)) {
                        left.add(proc.getFileName() + ": " + cmdline);
                    }
                } catch (IOException | UncheckedIOException gone) {
                    // the process ended while we looked
                }
            }
        }
        assertThat(left).as("processes left by %s", prefix).isEmpty();
        assertThat(Path.of(runDir)).as("run directory").doesNotExist();
    }

    private static List<String> namespaces(String prefix) throws Exception {
        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor(10, TimeUnit.SECONDS);
        return out.lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith(prefix + "-")).toList();
    }

    /** Short and unique per test run and kind, so parallel runs on one machine cannot clash. */
    private static String prefix(String kind) {
        return kind + ProcessHandle.current().pid();
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            fail(what + SKIP);
        }
    }

    /** Surefire runs in the module directory; scripts/ sits at the repository root. */
    private static Path repositoryRoot() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++) {
            if (Files.isDirectory(dir.resolve("scripts")) && Files.isDirectory(dir.resolve("e2e"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IOException("no scripts/ folder above " + Path.of("").toAbsolutePath());
    }
}
