package dev.turnbridge.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.server.TurnbridgeServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interop with coturn's own client tools over UDP: turnutils_uclient relays through our server to
 * turnutils_peer (an echo peer) in channel mode, Send-indication mode and its RTP/RTCP-pair mode, with
 * REST credentials derived from the shared secret (-W), and must lose nothing.
 */
class TurnutilsInteropIT {
    private static TurnbridgeServer server;
    private static Process peer;
    private static int peerPort;
    private static int serverPort;

    @BeforeAll
    static void start() {
        assumeFalse(ExternalTool.skipped(), "interop skipped by -DskipInterop");
        ExternalTool.require("turnutils_uclient");
        // coturn 4.6's uclient picks channel numbers up to 0x7FFF (RFC 5766), see relay.rfc5766-channels
        server = TurnbridgeServer.start(TestSettings.loopback("relay.rfc5766-channels=true",
                "peers.allow=127.0.0.1/32"));
        serverPort = server.relayAddresses().get(0).getPort();
        peerPort = ExternalTool.freeUdpPort();
        peer = ExternalTool.start(ExternalTool.require("turnutils_peer"), "-L", "127.0.0.1", "-p",
                String.valueOf(peerPort));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (peer != null) {
            peer.destroy();
            peer.waitFor(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "uclient {0}")
    @ValueSource(strings = {"channels", "send-indications", "rtp-rtcp-pairs"})
    void relaysWithoutLoss(String mode) {
        List<String> cmd = new ArrayList<>(List.of(ExternalTool.require("turnutils_uclient"),
                "-W", TestSettings.SECRET, "-u", "interop", "-p", String.valueOf(serverPort),
                "-e", "127.0.0.1", "-r", String.valueOf(peerPort), "-n", "50", "-m", "5", "-l", "172", "-z", "5"));
        switch (mode) {
            case "channels" -> cmd.add("-c");
            case "send-indications" -> cmd.addAll(List.of("-c", "-s"));
            default -> { } // no -c: an RTP and an RTCP allocation per session, EVEN-PORT with reservation
        }
        cmd.add("127.0.0.1");
        long before = server.relay().context().stats().traffic(FiveTuple.Transport.UDP).packetsToPeer.sum();
        String out = ExternalTool.run(60, cmd.toArray(String[]::new));
        // every session sends 50 messages: 5 sessions, 6 in RTP/RTCP mode (which adds one)
        UclientReport report = UclientReport.of(out);
        report.assertLossless(mode.equals("rtp-rtcp-pairs") ? 300 : 250, out);
        long sent = report.sent();
        assertThat(server.relay().context().stats().traffic(FiveTuple.Transport.UDP).packetsToPeer.sum() - before).isGreaterThanOrEqualTo(sent);
    }

    @Test
    void stunclientGetsItsMappedAddress() {
        String out = ExternalTool.run(10, ExternalTool.require("turnutils_stunclient"), "-p",
                String.valueOf(serverPort), "127.0.0.1");
        assertThat(out).contains("UDP reflexive addr: 127.0.0.1:");
    }
}
