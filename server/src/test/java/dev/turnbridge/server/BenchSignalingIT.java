package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code scripts/bench-signaling} from rotting: its {@code --smoke} mode (20 WebSocket clients in 10 rooms,
 * a few seconds) runs against a server from this test run's class path, with the independent Node client, and
 * must print every row with nothing lost, duplicated or refused; once with the in-memory registry on one node, and
 * once with {@code --registry redis --nodes 2} (the script's own redis-server, each room's two members on different
 * nodes, so every signal crosses nodes over sharded pub/sub). No timing is asserted: the figures are only
 * printed. Needs Node and the {@code ws} package in e2e, and Debian's redis-server ({@code scripts/test} installs them);
 * {@code -DskipInterop=true} skips it with the other tests that drive external tools.
 */
class BenchSignalingIT {

    /** Above the script's own watchdog for --smoke (120 s). */
    private static final long RUN_SECONDS = 180;
    /** Every row the client prints, in order; the rate is the smoke mode's (50 signals/s). */
    private static final List<String> ROWS = List.of(
            "clients / rooms / members per room", "nodes (signaling URLs)",
            "rooms with members on more than one node", "source addresses",
            "load average at start", "rooms created (s)", "clients connected and joined (s, joins/s)",
            "server CPU with every client idle (% of one core)", "server RSS before / after connecting (MB)",
            "memory per idle connection, RSS delta (KB)", "memory per idle connection, live heap after GC (KB)",
            "signals sent (achieved send rate /s) @ 50/s", "signals delivered @ 50/s", "signals lost @ 50/s",
            "signals later than 5 s after the phase @ 50/s", "signals duplicated / out of order @ 50/s",
            "delivered signals/s @ 50/s",
            "fan-out latency p50 / p90 / p99 / p99.9 / max (ms) @ 50/s", "server CPU per delivered signal (us) @ 50/s",
            "server CPU per delivered signal above idle (us) @ 50/s",
            "server CPU (% of one core) @ 50/s", "client CPU (% of one core) / event-loop delay p99 (ms) @ 50/s",
            "machine busy (cores, all processes) @ 50/s", "load average at end @ 50/s", "server errors",
            "unexpected closes");

    /** Printed only with a Redis: its CPU, after the servers'. */
    private static final List<String> REDIS_ROWS = List.of(
            "server CPU (% of one core) @ 50/s", "Redis CPU per delivered signal (us) @ 50/s",
            "Redis CPU (% of one core) @ 50/s", "client CPU (% of one core) / event-loop delay p99 (ms) @ 50/s");

    @Test
    void smokeRunPrintsEveryRowWithNothingLost() throws Exception {
        String out = smoke();
        assertThat(value(out, "nodes (signaling URLs)")).as(out).isEqualTo("1");
        assertThat(value(out, "rooms with members on more than one node")).as(out).isEqualTo("0");
        assertThat(out).as(out).doesNotContain("| Redis CPU");
    }

    @Test
    void smokeRunOnRedisWithTwoNodesDeliversEverySignalAcrossNodes() throws Exception {
        assumeFalse(Boolean.getBoolean("skipInterop"), "skipped with -DskipInterop=true");
        require(onPath("redis-server") && onPath("redis-cli"), "redis-server or redis-cli is missing");
        String out = smoke("--registry", "redis", "--nodes", "2");
        assertThat(out).as(out).containsPattern("(?m)^bench-signaling: redis-server \\S+ on 127\\.0\\.0\\.1:\\d+ ");
        assertThat(value(out, "nodes (signaling URLs)")).as(out).isEqualTo("2");
        // every room of two has one member on each node: every delivered signal went through Redis
        assertThat(value(out, "rooms with members on more than one node")).as(out).isEqualTo("10");
        int at = 0;
        for (String row : REDIS_ROWS) {
            int found = out.indexOf("| " + row + " ", at);
            assertThat(found).as("row '%s' after the previous ones:%n%s", row, out).isGreaterThan(at);
            at = found;
        }
    }

    /** Runs the smoke mode with these extra arguments and checks what every mode must print; returns the output. */
    private static String smoke(String... extra) throws Exception {
        assumeFalse(Boolean.getBoolean("skipInterop"), "skipped with -DskipInterop=true");
        Path root = repositoryRoot();
        require(Files.isDirectory(root.resolve("e2e/node_modules/ws")), "e2e/node_modules/ws is missing");
        Path output = Files.createTempFile("bench-signaling", ".out");
        try {
            List<String> command = new ArrayList<>(List.of(root.resolve("scripts/bench-signaling").toString(),
                    "--smoke", "--classpath", System.getProperty("java.class.path")));
            command.addAll(List.of(extra));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(root.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
            // the server reports every leaked buffer (the script fails on a LEAK: line in its log)
            builder.environment().put("BENCH_JAVA_OPTS", "-Dio.netty.leakDetectionLevel=paranoid");
            Process run = builder.start();
            if (!run.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
                run.destroy();   // SIGTERM: the script's trap stops the server and the client it started
                run.waitFor(15, TimeUnit.SECONDS);
                fail("scripts/bench-signaling --smoke did not finish within %d s:%n%s", RUN_SECONDS, read(output));
            }
            String out = read(output);
            assertThat(run.exitValue()).as("exit code:%n%s", out).isZero();
            assertThat(out).as(out).contains("\nPASS\n");
            int at = 0;
            for (String row : ROWS) {
                int found = out.indexOf("| " + row + " ", at);
                assertThat(found).as("row '%s' after the previous ones:%n%s", row, out).isGreaterThan(at);
                at = found;
            }
            assertThat(value(out, "signals lost @ 50/s")).as(out).isEqualTo("0");
            assertThat(value(out, "signals duplicated / out of order @ 50/s")).as(out).isEqualTo("0 / 0");
            assertThat(value(out, "server errors")).as(out).isEqualTo("0");
            assertThat(value(out, "unexpected closes")).as(out).isEqualTo("0");
            assertThat(value(out, "clients / rooms / members per room")).as(out).isEqualTo("20 / 10 / 2");
            Matcher delivered = Pattern.compile("(\\d+) of (\\d+)").matcher(value(out, "signals delivered @ 50/s"));
            assertThat(delivered.matches()).as(out).isTrue();
            assertThat(delivered.group(1)).as("every expected signal delivered:%n%s", out).isEqualTo(delivered.group(2));
            assertThat(Long.parseLong(delivered.group(1))).as("signals were sent at all:%n%s", out).isPositive();
            assertThat(value(out, "signals sent (achieved send rate /s) @ 50/s")).as(out)
                    .startsWith(delivered.group(1) + " (");
            return out;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The value column of a row of the client's table. */
    private static String value(String out, String row) {
        Matcher m = Pattern.compile("(?m)^\\| " + Pattern.quote(row) + " +\\| (.*?) *\\|$").matcher(out);
        assertThat(m.find()).as("row '%s':%n%s", row, out).isTrue();
        return m.group(1);
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            fail(what + " (scripts/test installs it: npm ci --prefix e2e; -DskipInterop=true skips this test)");
        }
    }

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
