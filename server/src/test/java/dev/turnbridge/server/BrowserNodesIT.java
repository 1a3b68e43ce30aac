package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.testing.RedisProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A relay-only call in Chromium across two nodes that share rooms through Redis, one of which dies: page S is
 * on the survivor (in this JVM), page D reaches the doomed node (its own JVM, running Main) through a TCP proxy
 * in {@code e2e/browser-nodes.mjs} that sends new connections to the survivor once the doomed node refuses them,
 * as a load balancer would. Each page is relayed by its own node's relay (its local relay candidate's TURN URL
 * and relayed port range say which), video both ways. Then the doomed node is SIGKILLed: D's client must resume
 * on the survivor as the same peer, and the call must come back relay-only through the survivor's relay, video
 * increasing both ways, within 45 s of the kill, by the product's own code: signaling.js reports the survivor's
 * iceServers as fresh credentials and the demo page restarts ICE with them. Fails, not skips, when Chromium, node or the node modules are
 * missing ({@code scripts/test} installs them); {@code -DskipBrowser=true} skips it.
 */
class BrowserNodesIT {

    private static final long TIMEOUT_SECONDS = 200;
    private static final long NODE_START_SECONDS = 60;
    /** Each node relays from its own range, so a relayed port names its node. */
    private static final String SURVIVOR_RELAY = "61000-61999";
    private static final String DOOMED_RELAY = "62000-62999";
    private static final Pattern TIMINGS = Pattern.compile("TIMINGS .*");

    @Test
    void aRelayOnlyCallAcrossTwoNodesComesBackOnTheSurvivorWhenTheOtherIsKilled() throws Exception {
        Path root = BrowserCallIT.browserReadyRoot();
        String prefix = "browser-nodes-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        int doomedHttp = freeTcpPort();
        int doomedTurn = freeUdpPort();
        try (RedisProcess redis = RedisProcess.standalone();
             TurnbridgeServer survivor = TurnbridgeServer.start(SettingsLoader.load(null, Map.of(),
                     settings(redis, prefix, "127.0.0.1:0", "127.0.0.1:0", SURVIVOR_RELAY)))) {
            int survivorHttp = survivor.signalingAddresses().get(0).getPort();
            int survivorTurn = survivor.relayAddresses().get(0).getPort();
            Path nodeLog = Files.createTempFile("turnbridge-doomed-node-", ".log");
            Process doomed = separateNode(settings(redis, prefix, "127.0.0.1:" + doomedTurn,
                    "127.0.0.1:" + doomedHttp, DOOMED_RELAY), doomedHttp, nodeLog);
            try {
                String log = runScript(root, List.of(
                        "http://127.0.0.1:" + survivorHttp, String.valueOf(survivorTurn), SURVIVOR_RELAY,
                        "http://127.0.0.1:" + doomedHttp, String.valueOf(doomedTurn), DOOMED_RELAY), doomed);
                assertThat(doomed.isAlive()).as("the doomed node was killed").isFalse();
                assertThat(log).contains("PASS before: relay-only call across nodes",
                        "via turn:127.0.0.1:" + doomedTurn + "?transport=udp",
                        "PASS after: D resumed on the survivor as the same peer");
                Matcher timings = TIMINGS.matcher(log);
                assertThat(timings.find()).as(log).isTrue();
                System.out.println("browser-nodes " + timings.group());
            } finally {
                doomed.destroyForcibly();
                doomed.waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(nodeLog);
            }
        }
    }

    /** One node's settings: rooms in {@code redis}, only a UDP relay listener, relayed ports from {@code range}. */
    private static List<String> settings(RedisProcess redis, String prefix, String udp, String signaling,
                                         String range) {
        String[] ports = range.split("-");
        return List.of("signaling.access=open",
                "signaling.registry=redis",
                "redis.uri=" + redis.uri(),
                "redis.key-prefix=" + prefix,
                "redis.presence-lease=5s",
                "auth.secrets=browser-nodes-secret",
                "listeners.udp=" + udp,
                "listeners.tcp=",
                "listeners.tls=",
                "relay.address=127.0.0.1",
                "relay.port-min=" + ports[0],
                "relay.port-max=" + ports[1],
                // The two relays are on one host, so each relays to the other's relayed addresses on loopback, which
                // the peer policy refuses unless allowed (in production the relayed addresses are public).
                "peers.allow=127.0.0.1/32",
                "signaling.listen=" + signaling,
                "metrics.listen=127.0.0.1:0");
    }

    /** The doomed node: Main in its own JVM, so that it can be SIGKILLed; returns once it serves HTTP. */
    private static Process separateNode(List<String> settings, int httpPort, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "dev.turnbridge.server.Main"));
        for (String setting : settings) {
            command.add("--set");
            command.add(setting);
        }
        Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/rooms/ZZZZZZZZ"))
                .GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(NODE_START_SECONDS);
        boolean up = false;
        while (!up && node.isAlive() && System.nanoTime() < deadline) {
            try {
                up = http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 404;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        if (!up) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(up).as("the doomed node started within %d s: %s", NODE_START_SECONDS, Files.readString(log))
                .isTrue();
        return node;
    }

    /**
     * Runs e2e/browser-nodes.mjs (bounded): when it prints KILL, SIGKILLs {@code doomed} and answers with the
     * moment of the kill. Returns its output; fails on a non-zero exit. The script and the browser it started
     * are stopped, by PID, on every way out.
     */
    private static String runScript(Path root, List<String> args, Process doomed) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", root.resolve("e2e/browser-nodes.mjs").toString()));
        command.addAll(args);
        Process script = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
        StringBuffer log = new StringBuffer();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(script.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    log.append(line).append('\n');
                    lines.add(line);
                }
            } catch (IOException closed) {
                // the script is gone
            }
        }, "browser-nodes-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        try (Writer toScript = new OutputStreamWriter(script.getOutputStream(), StandardCharsets.UTF_8)) {
            boolean killed = false;
            while (script.isAlive() && System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if ("KILL".equals(line) && !killed) {
                    killed = true;
                    long at = System.currentTimeMillis();
                    doomed.destroyForcibly(); // SIGKILL: no leave, no close frame, no last Redis write
                    assertThat(doomed.waitFor(10, TimeUnit.SECONDS)).as("the doomed node died").isTrue();
                    toScript.write("killed " + at + "\n");
                    toScript.flush();
                }
            }
        } catch (IOException scriptGone) {
            // its stdin closed: the script ended; its exit code and output say why
        } finally {
            stop(script);
            reader.join(5000);
        }
        System.out.println(log);
        assertThat(System.nanoTime() < deadline).as("browser test finished within %d s:%n%s", TIMEOUT_SECONDS, log)
                .isTrue();
        assertThat(script.exitValue()).as("exit code of the browser test:%n%s", log).isZero();
        return log.toString();
    }

    /** Stops the script if it still runs: SIGTERM (it closes its browser and proxy), then SIGKILL, then leftovers. */
    private static void stop(Process script) throws InterruptedException {
        if (!script.isAlive()) {
            return;
        }
        List<ProcessHandle> started = script.descendants().toList();
        script.destroy();
        if (!script.waitFor(10, TimeUnit.SECONDS)) {
            script.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        started.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }
}
