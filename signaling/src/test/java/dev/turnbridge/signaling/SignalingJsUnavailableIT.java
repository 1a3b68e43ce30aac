package dev.turnbridge.signaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code signaling.js} in Node ({@code e2e/signaling-client-unavailable.mjs}, a scripted fake server on loopback):
 * while the server answers resumes with {@code unavailable} (its Redis is away), the client keeps its seat and
 * its outbox and backs off, instead of joining again as a new peer and failing its pending signals. Fails, not
 * skips, when Node or the e2e node modules are missing; {@code -DskipBrowser=true} skips it with the other
 * JavaScript tests.
 */
class SignalingJsUnavailableIT {

    @Test
    void resumeKeepsTheSeatWhileTheRoomStoreIsUnavailable() throws Exception {
        assumeFalse(Boolean.getBoolean("skipBrowser"), "skipped with -DskipBrowser=true");
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("e2e"))) {
            root = root.getParent();
        }
        if (root == null || !Files.isDirectory(root.resolve("e2e/node_modules/ws"))) {
            fail("e2e/node_modules/ws is missing (scripts/test installs it: npm ci --prefix e2e),"
                    + " or run with -DskipBrowser=true");
        }
        Path output = Files.createTempFile("signaling-js-unavailable", ".log");
        try {
            Process node = new ProcessBuilder("node", root.resolve("e2e/signaling-client-unavailable.mjs").toString(),
                    root.resolve("signaling/src/main/resources/web/signaling.js").toString())
                    .directory(root.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            boolean finished = node.waitFor(60, TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String log = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(finished).as("finished within 60 s:%n%s", log).isTrue();
            assertThat(node.exitValue()).as(log).isZero();
            assertThat(log).startsWith("PASS seat kept across 3 unavailable answers");
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
