package dev.turnbridge.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.server.TurnbridgeServer;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interop with coturn's turnutils_uclient over DTLS ({@code -S} without {@code -t}: OpenSSL's DTLS 1.2 client
 * against Bouncy Castle's server), through our DTLS listener to a turnutils_peer echo, without loss.
 */
class DtlsTurnutilsInteropIT {
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
                "listeners.udp=127.0.0.1:0",
                "listeners.dtls=127.0.0.1:0",
                "relay.rfc5766-channels=true", // coturn 4.6's uclient picks channel numbers up to 0x7FFF
                "peers.allow=127.0.0.0/8"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    @ParameterizedTest(name = "uclient {0}")
    @CsvSource({"-S -c", "-S -c -s"})
    void uclientLosesNothing(String flags) throws Exception {
        int serverPort = server.relay().dtlsAddresses().get(0).getPort();
        int peerPort = freeUdpPort();
        Process peer = ExternalTool.start(ExternalTool.require("turnutils_peer"), "-L", "127.0.0.1", "-p",
                String.valueOf(peerPort));
        try {
            Thread.sleep(300); // let the echo peer bind
            List<String> command = new ArrayList<>(List.of(ExternalTool.require("turnutils_uclient"),
                    "-W", TestSettings.SECRET, "-u", "interop", "-p", String.valueOf(serverPort),
                    "-e", "127.0.0.1", "-r", String.valueOf(peerPort), "-n", "100", "-m", "10", "-l", "172"));
            command.addAll(List.of(flags.trim().split(" +")));
            command.add("127.0.0.1");
            Path log = dir.resolve("uclient-dtls-" + peerPort + ".log");
            Process uclient = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            boolean finished = uclient.waitFor(RUN_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                uclient.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(finished).as("uclient finished within %ds:%n%s", RUN_SECONDS, UclientReport.tail(output))
                    .isTrue();
            UclientReport.of(output).assertLossless(10 * 100, UclientReport.tail(output));
        } finally {
            peer.destroy();
            if (!peer.waitFor(5, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
    }
}
