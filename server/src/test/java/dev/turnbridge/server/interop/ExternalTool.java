package dev.turnbridge.server.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a client nobody here wrote (coturn's turnutils_* tools) with a time limit and collects its output.
 * A missing tool fails the test with a hint rather than skipping it, unless -DskipInterop=true is given.
 */
final class ExternalTool {
    private ExternalTool() {
    }

    static boolean skipped() {
        return Boolean.getBoolean("skipInterop");
    }

    static String require(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(tool + " is not installed: scripts/test installs it (apt-get install -y coturn),"
                + " or run with -DskipInterop=true");
    }

    /** Runs to completion (killed after {@code seconds}) and returns stdout and stderr together. */
    static String run(int seconds, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out;
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                out = p.getInputStream().readAllBytes();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s:\n"
                        + new String(out, StandardCharsets.UTF_8));
            }
            out = p.getInputStream().readAllBytes();
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Starts a long-running helper process (an echo peer); the caller destroys it. */
    static Process start(String... command) {
        try {
            return new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP port that was free a moment ago on 127.0.0.1. */
    static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
