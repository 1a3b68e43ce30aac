package dev.turnbridge.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The interop verdicts on uclient summaries shaped like coturn 4.6's, good ones and each kind of bad one. */
class UclientReportTest {
    private static String summary(long sent, long received, long lost, long dropped) {
        return "0: : Total connect time is 0\n"
                + "1: : start_mclient: msz=10, tot_send_msgs=" + (sent / 2) + ", tot_recv_msgs=" + (received / 2)
                + ", tot_send_bytes ~ 17200, tot_recv_bytes ~ 17200\n"
                + "1: : start_mclient: tot_send_msgs=" + sent + ", tot_recv_msgs=" + received + "\n"
                + "1: : start_mclient: tot_send_bytes ~ 172000, tot_recv_bytes ~ 172000\n"
                + "1: : Total transmit time is 1\n"
                + "1: : Total lost packets " + lost + " (" + (100.0 * lost / Math.max(1, sent))
                + "%), total send dropped " + dropped + " (0.000000%)\n"
                + "1: : Average round trip delay 0.5 ms; min = 0 ms, max = 5 ms\n";
    }

    @Test
    void aCompleteRunPasses() {
        String out = summary(1000, 1000, 0, 0);
        UclientReport report = UclientReport.of(out);
        assertThat(report).isEqualTo(new UclientReport(1000, 1000, 0, 0));
        report.assertLossless(1000, UclientReport.tail(out));
    }

    @Test
    void aRunThatSentLessThanPlannedFailsAtZeroPercentLoss() {
        String out = summary(430, 430, 0, 0); // connections broken mid-run: uclient counts only written sends
        assertThatThrownBy(() -> UclientReport.of(out).assertLossless(1000, UclientReport.tail(out)))
                .hasMessageContaining("messages sent (planned 1000)");
    }

    @Test
    void droppedSendsFail() {
        String out = summary(1000, 1000, 0, 3);
        assertThatThrownBy(() -> UclientReport.of(out).assertLossless(1000, UclientReport.tail(out)))
                .hasMessageContaining("sends dropped");
    }

    @Test
    void missingEchoesFail() {
        String out = summary(1000, 998, 2, 0);
        assertThatThrownBy(() -> UclientReport.of(out).assertLossless(1000, UclientReport.tail(out)))
                .hasMessageContaining("messages received back");
    }

    @Test
    void noSummaryFails() {
        assertThatThrownBy(() -> UclientReport.of("0: : 401 Unauthorized\n")).hasMessageContaining("no summary");
    }

    @Test
    void theLastTotalsCount() {
        String out = summary(100, 100, 0, 0) + summary(1000, 999, 1, 0);
        assertThat(UclientReport.of(out)).isEqualTo(new UclientReport(1000, 999, 1, 0));
    }

    @Test
    void onlyACompleteRunWithAFewMissedEchoesEarnsARerun() {
        assertThat(UclientReport.of(summary(1000, 997, 3, 0)).completeWithSmallEchoLoss(1000)).isTrue();
        assertThat(UclientReport.of(summary(1000, 1000, 0, 0)).completeWithSmallEchoLoss(1000)).as("lossless")
                .isFalse();
        assertThat(UclientReport.of(summary(1000, 980, 20, 0)).completeWithSmallEchoLoss(1000)).as("2 %").isFalse();
        assertThat(UclientReport.of(summary(600, 597, 3, 0)).completeWithSmallEchoLoss(1000)).as("partial").isFalse();
        assertThat(UclientReport.of(summary(1000, 997, 3, 1)).completeWithSmallEchoLoss(1000)).as("dropped")
                .isFalse();
    }
}
