package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.config.SettingsLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real {@code @supabase/supabase-js} 2.119.0 against our Supabase Realtime front-end, in Node
 * ({@code e2e/supabase-realtime.mjs}): the snippet in two clients over vsn 2.0.0 and 1.0.0 (SUBSCRIBED,
 * presence both ways, webrtc-signal both ways with self:false, ack:true acknowledged, a chat event, leave on
 * removeChannel and on a closed socket), the refusals a client shows (wrong apikey, expired JWT, a private room
 * with a stranger's JWT) and the REST broadcast; and in Chromium ({@code e2e/supabase-browser.mjs}) relay-only
 * calls signaled through supabase-js, alone and in a room mixed with signaling.js. {@code -DskipBrowser=true}
 * skips them (they need node, chromium and {@code npm ci --prefix e2e}).
 */
class SupabaseRealtimeIT {

    static final String JWT_SECRET = "supabase-it-jwt-secret-0123456789abcdef";
    static final String ANON_KEY = "anon-key-for-supabase-it-0123456789";
    private static final String HINT = " (scripts/test installs it: apt-get install -y nodejs npm;"
            + " npm ci --prefix e2e), or run with -DskipBrowser=true";

    static TurnbridgeServer start(String... more) {
        List<String> settings = new ArrayList<>(List.of(
                "signaling.access=jwt",
                "signaling.jwt.secret=" + JWT_SECRET,
                "signaling.supabase.anon-keys=" + ANON_KEY,
                "signaling.supabase.implicit-rooms=true",
                "signaling.room-capacity-default=4",
                // the browser pages come from the e2e script's own loopback server
                "signaling.allowed-origins=*",
                "auth.secrets=supabase-it-turn-secret",
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "relay.address=127.0.0.1",
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0"));
        settings.addAll(List.of(more));
        return TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), settings));
    }

    @Test
    void supabaseJsRunsTheSnippetAgainstOurRooms() throws Exception {
        try (TurnbridgeServer server = start()) {
            String log = node("supabase-realtime.mjs",
                    List.of("http://127.0.0.1:" + server.signalingAddresses().get(0).getPort()), 120);
            assertThat(log).doesNotContain("FAIL").contains("PASS: supabase-js against turnbridge",
                    "PASS vsn 2.0.0: presence join seen both ways", "PASS vsn 1.0.0: leave seen when the socket closes",
                    "PASS expired JWT: channel refused", "PASS private room, stranger: refused",
                    "PASS wrong apikey: channel refused", "PASS REST broadcast (send before subscribe) delivered");
        }
    }

    /**
     * Chromium pages with the real supabase-js bundle (served from loopback): a relay-only video call between two
     * supabase-js pages with iceServers from {@code /realtime/v1/ice-servers} (relay/relay, decoded frames) and
     * the leave when one tab closes; then a mixed room, one supabase-js page and one signaling.js page, completing
     * the same call.
     */
    @Test
    void chromiumCallsThroughSupabaseJsAndInAMixedRoom() throws Exception {
        if (!Boolean.getBoolean("skipBrowser") && !Files.isExecutable(Path.of("/usr/bin/chromium"))) {
            fail("/usr/bin/chromium is missing" + HINT);
        }
        try (TurnbridgeServer server = start()) {
            String log = node("supabase-browser.mjs",
                    List.of("http://127.0.0.1:" + server.signalingAddresses().get(0).getPort()), 170);
            assertThat(log).doesNotContain("FAIL").contains("PASS: supabase-js in Chromium against turnbridge",
                    "PASS supabase-js pages: relay-only call with decoded video: relay/relay",
                    "PASS supabase-js pages: leave seen when the other tab closes",
                    "PASS mixed room (supabase-js + signaling.js): relay-only call with decoded video: relay/relay",
                    "PASS mixed room: presence seen both ways");
        }
    }

    /** Runs an e2e script with node; returns its output after checking it finished in time with exit code 0. */
    static String node(String script, List<String> args, long timeoutSeconds) throws Exception {
        assumeFalse(Boolean.getBoolean("skipBrowser"), "skipped with -DskipBrowser=true");
        Path root = repositoryRoot();
        if (!Files.isDirectory(root.resolve("e2e/node_modules/@supabase/supabase-js"))) {
            fail("e2e/node_modules/@supabase/supabase-js is missing" + HINT);
        }
        // Node 20 has the WebSocket realtime-js needs behind this flag; Node 22 has it on by default.
        List<String> command = new ArrayList<>(List.of("node", "--experimental-websocket",
                root.resolve("e2e/" + script).toString()));
        command.addAll(args);
        Path output = Files.createTempFile("supabase-realtime", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(root.resolve("e2e").toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().put("JWT_SECRET", JWT_SECRET);
            builder.environment().put("ANON_KEY", ANON_KEY);
            Process node = builder.start();
            boolean finished = node.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String log = Files.readString(output, StandardCharsets.UTF_8);
            System.out.println(log);
            assertThat(finished).as("node finished within %d s:%n%s", timeoutSeconds, log).isTrue();
            assertThat(node.exitValue()).as("exit code of %s:%n%s", script, log).isZero();
            return log;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    static Path repositoryRoot() throws IOException {
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
