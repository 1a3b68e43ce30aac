package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.SettingsLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line as an operator meets it: validation messages, --print-config, the admin subcommand. */
class MainTest {
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";

    private record Run(int exit, String out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            // These tests predate access control: open, explicitly (jwt, the default, needs keys).
            String[] all = new String[args.length + 2];
            all[0] = "--set";
            all[1] = "signaling.access=open";
            System.arraycopy(args, 0, all, 2, args.length);
            int exit = new CommandLine(new Main()).execute(all);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void startupHintNamesEveryAddressSignalingListensOn() throws Exception {
        InetSocketAddress lan = new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 8080);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::5"), 8443);
        InetSocketAddress any4 = new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 8080);
        InetSocketAddress any6 = new InetSocketAddress(InetAddress.getByName("::"), 8081);

        assertThat(Main.openHints(List.of(lan))).containsExactly("http://192.0.2.10:8080/");
        assertThat(Main.openHints(List.of(any4))).containsExactly("http://127.0.0.1:8080/");
        assertThat(Main.openHints(List.of(lan, v6, any6, any4)))
                .containsExactly("http://192.0.2.10:8080/", "http://[2001:db8::5]:8443/", "http://[::1]:8081/",
                        "http://127.0.0.1:8080/");
    }

    @Test
    void badOpsSettingsAreReportedTogetherClearlyAndWithoutSecrets() {
        Run r = run("--set", "metrics.listen=metrics.example.com:9641", "--set", "metrics.token=short-secret",
                "--set", "drain.deadline=25h", "--set", "drain.alternate-servers=relay2.example.com:3478",
                "--set", "logging.format=yaml", "--print-config");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(
                "invalid settings (5 problems)",
                "metrics.listen: metrics.example.com:9641 (expected: an IP literal or localhost as host)",
                "metrics.token: <redacted> (expected: empty, or at least 16 printable ASCII characters without "
                        + "spaces)",
                "drain.deadline: 90000s (expected: 0s-24h)",
                "drain.alternate-servers[0]: relay2.example.com:3478 (expected: an IP literal other than a "
                        + "wildcard with a port 1-65535 (ALTERNATE-SERVER carries no name))",
                "logging.format: yaml (expected: one of plain, json)")
                .doesNotContain("short-secret");
    }

    @Test
    void printConfigShowsOpsSettingsWithTokensRedacted() {
        Run r = run("--set", "admin.token=" + ADMIN_TOKEN, "--set", "drain.alternate-servers=203.0.113.8:3478",
                "--print-config");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("metrics:", "listen: 127.0.0.1:9641", "admin:", "token: <redacted>",
                "alternate-servers:", "203.0.113.8:3478", "format: plain")
                .doesNotContain(ADMIN_TOKEN);
    }

    @Test
    void adminSubcommandCallsTheRunningServerWithTheConfiguredToken() {
        try (TurnbridgeServer server = TurnbridgeServer.start(SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "listeners.udp=127.0.0.1:0", "listeners.tcp=127.0.0.1:0", "listeners.tls=127.0.0.1:0",
                "signaling.listen=127.0.0.1:0", "metrics.listen=127.0.0.1:0", "admin.token=" + ADMIN_TOKEN)))) {
            String url = "http://127.0.0.1:" + server.opsAddress().getPort() + "/";

            Run list = run("--set", "admin.token=" + ADMIN_TOKEN, "admin", "--url", url, "allocations");
            assertThat(list.exit()).isZero();
            assertThat(list.out()).contains("\"allocations\" : [ ]");

            Run end = run("--set", "admin.token=" + ADMIN_TOKEN, "admin", "--url", url, "end-allocations",
                    "--username", "nobody");
            assertThat(end.exit()).isZero();
            assertThat(end.out()).contains("\"ended\" : 0");

            Run kick = run("--set", "admin.token=" + ADMIN_TOKEN, "admin", "--url", url, "kick", "ABCDEFGH",
                    "nobody");
            assertThat(kick.exit()).isEqualTo(1);
            assertThat(kick.err()).contains("HTTP 404", "no such member in that room");

                        Run wrong = run("--set", "admin.token=wrong-token-0123456789", "admin", "--url", url, "rooms");
            assertThat(wrong.exit()).isEqualTo(1);
            assertThat(wrong.err()).contains("HTTP 401").doesNotContain("wrong-token");

            Run none = run("admin", "--url", url, "rooms");
            assertThat(none.exit()).isEqualTo(2);
            assertThat(none.err()).contains("no admin token");

            Run both = run("--set", "admin.token=" + ADMIN_TOKEN, "admin", "--url", url, "end-allocations");
            assertThat(both.exit()).isEqualTo(2); // picocli: one of --username or --room is required
        }
    }

    @Test
    void adminUrlDefaultsToTheMetricsListenerReachedOnLoopback() {
        assertThat(AdminCommand.baseUrl(dev.turnbridge.config.HostPort.parse("0.0.0.0:9641")))
                .hasToString("http://127.0.0.1:9641/");
        assertThat(AdminCommand.baseUrl(dev.turnbridge.config.HostPort.parse("[::]:9641")))
                .hasToString("http://[::1]:9641/");
        assertThat(AdminCommand.baseUrl(dev.turnbridge.config.HostPort.parse("10.0.0.5:9641")))
                .hasToString("http://10.0.0.5:9641/");
    }
}
