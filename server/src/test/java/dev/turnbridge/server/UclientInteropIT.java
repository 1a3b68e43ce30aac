package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interop with coturn's own client: {@code turnutils_uclient} relays through turnbridge over TCP, TLS and
 * UDP, IPv4 and IPv6, to a {@code turnutils_peer} echo, and must lose nothing. Needs the coturn package
 * ({@code apt-get install coturn}); fails without it unless {@code -DskipInterop=true}.
 */
class UclientInteropIT {
    private static final String SECRET = "interop-secret";
    private static final long RUN_SECONDS = 90;
    private static TurnbridgeServer server;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        if (Boolean.getBoolean("skipInterop")) {
            return;
        }
        requireTool("turnutils_uclient");
        requireTool("turnutils_peer");
        Settings settings = SettingsLoader.load(null, Map.of(), List.of(
                "listeners.udp=127.0.0.1:0,[::1]:0",
                "listeners.tcp=127.0.0.1:0,[::1]:0",
                "listeners.tls=127.0.0.1:0,[::1]:0",
                "auth.secrets=" + SECRET,
                "relay.rfc5766-channels=true", // coturn 4.6's uclient picks channel numbers up to 0x7FFF
                "peers.allow=127.0.0.0/8,::1/128"));
        server = TurnbridgeServer.start(settings);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void requireTool(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " not found: install coturn's tools (apt-get install coturn) or run with -DskipInterop=true");
    }

    private static int port(List<InetSocketAddress> bound, boolean ipv6) {
        return bound.stream().filter(a -> (a.getAddress() instanceof Inet6Address) == ipv6).findFirst()
                .orElseThrow().getPort();
    }

    private static int freeUdpPort(String host) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(host), 0))) {
            return s.getLocalPort();
        }
    }

    @ParameterizedTest(name = "{0} over {1}, flags [{2}]")
    @CsvSource({
        "127.0.0.1, tcp, -t -c",
        "127.0.0.1, tcp, -t -c -s",
        "127.0.0.1, tls, -t -S -c",
        "::1,       tcp, -t -x -c",
        "::1,       tls, -t -S -x -c",
        "::1,       udp, -x -c",
        "::1,       udp, -x -c -s",
    })
    void uclientLosesNothing(String host, String transport, String flags) throws Exception {
        assumeFalse(Boolean.getBoolean("skipInterop"), "-DskipInterop");
        boolean ipv6 = host.contains(":");
        int serverPort = switch (transport) {
            case "tcp" -> port(server.relay().tcpAddresses(), ipv6);
            case "tls" -> port(server.relay().tlsAddresses(), ipv6);
            default -> port(server.relayAddresses(), ipv6);
        };
        int peerPort = freeUdpPort(host);
        Path peerLog = dir.resolve("peer-" + peerPort + ".log");
        Process peer = new ProcessBuilder("turnutils_peer", "-L", host, "-p", String.valueOf(peerPort))
                .redirectErrorStream(true).redirectOutput(peerLog.toFile()).start();
        try {
            Thread.sleep(300); // let the echo peer bind
            List<String> command = new ArrayList<>(List.of("turnutils_uclient", "-W", SECRET, "-u", "interop",
                    "-p", String.valueOf(serverPort), "-e", host, "-r", String.valueOf(peerPort),
                    "-n", "100", "-m", "10", "-l", "172"));
            command.addAll(List.of(flags.trim().split(" +")));
            command.add(host);
            Path log = dir.resolve("uclient-" + peerPort + ".log");
            Process uclient = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            boolean finished = uclient.waitFor(RUN_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                uclient.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(finished).as("uclient finished within %ds:%n%s", RUN_SECONDS, tail(output)).isTrue();
            assertThat(output).as(tail(output)).contains("Total lost packets 0 (0.000000%)");
        } finally {
            peer.destroy();
            if (!peer.waitFor(5, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 25), lines.length));
    }
}
