package dev.turnbridge.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.server.TurnbridgeServer;
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
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interop with coturn's turnutils_uclient over the transports of hard networks: TCP ({@code -t}), TLS
 * ({@code -t -S}) and IPv6 ({@code ::1}, {@code -x} for an IPv6 relayed address), through our server to a
 * turnutils_peer echo, without loss; and RFC 6062 TCP allocations ({@code -T}, over TCP and TLS), where
 * uclient's clients allocate, Connect to each other's relayed addresses and relay through data connections.
 * Output goes to a file, so a chatty run cannot block on a full pipe.
 */
class StreamTurnutilsInteropIT {
    private static final int RUN_SECONDS = 90;
    private static TurnbridgeServer server;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        assumeFalse(ExternalTool.skipped(), "interop skipped by -DskipInterop");
        ExternalTool.require("turnutils_uclient");
        ExternalTool.require("turnutils_peer");
        server = TurnbridgeServer.start(TestSettings.loopback(
                "listeners.udp=127.0.0.1:0,[::1]:0",
                "listeners.tcp=127.0.0.1:0,[::1]:0",
                "listeners.tls=127.0.0.1:0,[::1]:0",
                "relay.address=0.0.0.0", "relay.address-v6=::1",
                "relay.rfc5766-channels=true", // coturn 4.6's uclient picks channel numbers up to 0x7FFF
                "peers.allow=127.0.0.0/8,::1/128"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
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

    @ParameterizedTest(name = "{1} to {0}, uclient {2}")
    @CsvSource({
        "127.0.0.1, tcp, -t -c",
        "127.0.0.1, tcp, -t -c -s",
        "127.0.0.1, tls, -t -S -c",
        "::1,       tcp, -t -x -c",
        "::1,       tls, -t -S -x -c",
        "::1,       udp, -x -c",
        "::1,       udp, -x -c -s",
    })
    void uclientLosesNothing(String host, String transport, String flags, TestReporter reporter) throws Exception {
        boolean ipv6 = host.contains(":");
        int serverPort = switch (transport) {
            case "tcp" -> port(server.relay().tcpAddresses(), ipv6);
            case "tls" -> port(server.relay().tlsAddresses(), ipv6);
            default -> port(server.relayAddresses(), ipv6);
        };
        int peerPort = freeUdpPort(host);
        Process peer = ExternalTool.start(ExternalTool.require("turnutils_peer"), "-L", host, "-p",
                String.valueOf(peerPort));
        try {
            Thread.sleep(300); // let the echo peer bind
            List<String> command = new ArrayList<>(List.of(ExternalTool.require("turnutils_uclient"),
                    "-W", TestSettings.SECRET, "-u", "interop", "-p", String.valueOf(serverPort),
                    "-e", host, "-r", String.valueOf(peerPort), "-n", String.valueOf(MESSAGES),
                    "-m", String.valueOf(CLIENTS), "-l", "172"));
            command.addAll(List.of(flags.trim().split(" +")));
            command.add(host);
            FiveTuple.Transport counted = FiveTuple.Transport.valueOf(transport.toUpperCase(Locale.ROOT));
            Run run = runUclient(command, transport + "-" + peerPort + "-1", counted);
            for (int rerun = 1; rerun <= MAX_TLS_RERUNS && transport.equals("tls")
                    && run.report().completeWithSmallEchoLoss(PLANNED); rerun++) {
                // The TLS misses once blamed on uclient were ours: several messages in one TLS record, which
                // uclient reads as one (fixed in StreamClientLink: one record per message; no rerun since).
                // The rerun stays as a gated safety net only: after a complete run with a small loss whose
                // echoes the server's own TLS counters show relayed both ways with nothing dropped. Each rerun
                // is printed and published as a RERUN line, so one in a report is a finding to look into.
                assertThat(run.relayedEverything())
                        .as("a lossy TLS run the server did not fully relay, no rerun: %s%n%s", run,
                                UclientReport.tail(run.output()))
                        .isTrue();
                String line = "RERUN " + rerun + " " + transport + " " + host + " uclient " + flags.trim()
                        + ": previous run " + run;
                System.out.println(line);
                reporter.publishEntry("RERUN", line);
                run = runUclient(command, transport + "-" + peerPort + "-" + (rerun + 1), counted);
            }
            run.report().assertLossless(PLANNED, run + "\n" + UclientReport.tail(run.output()));
        } finally {
            peer.destroy();
            if (!peer.waitFor(5, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
    }

    private static final int CLIENTS = 10;
    private static final int MESSAGES = 100;
    private static final int PLANNED = CLIENTS * MESSAGES;
    private static final int MAX_TLS_RERUNS = 2;

    /** One uclient run: its output, its totals, and what the server counted meanwhile on that transport. */
    private record Run(String output, UclientReport report, long toPeer, long toClient, long dropped) {
        boolean relayedEverything() {
            return toPeer == report.sent() && toClient == report.sent() && dropped == 0;
        }

        @Override
        public String toString() {
            return String.format("uclient sent %d, received %d, lost %d, send dropped %d; server relayed %d to"
                    + " the peer, %d to the client, dropped %d", report.sent(), report.received(), report.lost(),
                    report.sendDropped(), toPeer, toClient, dropped);
        }
    }

    /** Runs uclient to completion (bounded); the server's counters are read before and after. */
    private Run runUclient(List<String> command, String name, FiveTuple.Transport transport) throws Exception {
        var stats = server.relay().context().stats();
        RelayStats.Traffic traffic = stats.traffic(transport);
        long toPeer = traffic.packetsToPeer.sum();
        long toClient = traffic.packetsToClient.sum();
        long dropped = dropped();
        Path log = dir.resolve("uclient-" + name + ".log");
        Process uclient = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = uclient.waitFor(RUN_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            uclient.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(finished).as("uclient finished within %ds:%n%s", RUN_SECONDS, UclientReport.tail(output))
                .isTrue();
        assertThat(uclient.exitValue()).as("uclient's exit status:%n%s", UclientReport.tail(output)).isZero();
        return new Run(output, UclientReport.of(output), traffic.packetsToPeer.sum() - toPeer,
                traffic.packetsToClient.sum() - toClient, dropped() - dropped);
    }

    private static long dropped() {
        var stats = server.relay().context().stats();
        return stats.dataDropped.sum() + stats.malformedDropped.sum();
    }

    @ParameterizedTest(name = "uclient {0}")
    @CsvSource({"-T", "-T -S"})
    void tcpRelayLosesNothing(String flags) throws Exception {
        boolean tls = flags.contains("-S");
        int serverPort = port(tls ? server.relay().tlsAddresses() : server.relay().tcpAddresses(), false);
        // -T implies -t -y -c: every client Connects to every other client's TCP relayed address (so both
        // Connect and ConnectionAttempt are exercised), and messages travel data connection -> relayed address
        // -> relayed address -> data connection. (-P, a plain TCP peer, loses half by design of uclient's
        // accounting: coturn 4.6's own turnserver reports the same 50 %.)
        List<String> command = new ArrayList<>(List.of(ExternalTool.require("turnutils_uclient"),
                "-W", TestSettings.SECRET, "-u", "interop", "-p", String.valueOf(serverPort),
                "-n", "100", "-m", "4", "-l", "172"));
        command.addAll(List.of(flags.trim().split(" +")));
        command.add("127.0.0.1");
        Path log = dir.resolve("uclient-tcp-relay-" + (tls ? "tls" : "tcp") + ".log");
        Process uclient = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = uclient.waitFor(RUN_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            uclient.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(finished).as("uclient finished within %ds:%n%s", RUN_SECONDS, UclientReport.tail(output))
                .isTrue();
        UclientReport.of(output).assertLossless(4 * 100, UclientReport.tail(output));
    }
}
