package dev.turnbridge.server.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The totals coturn's turnutils_uclient prints at the end of a run. uclient counts a message as sent only
 * when its write succeeded and as "send dropped" when it did not, so "0 % lost" alone passes a run whose
 * connections broke half-way: a complete run also sent at least what was planned and dropped no send.
 */
record UclientReport(long sent, long received, long lost, long sendDropped) {
    private static final Pattern TOTALS =
            Pattern.compile("start_mclient: tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)");
    private static final Pattern LOSS =
            Pattern.compile("Total lost packets (\\d+) \\([^)]*\\), total send dropped (\\d+) \\(");

    /** The run's last totals; fails (with the output's tail) when uclient printed none. */
    static UclientReport of(String output) {
        Matcher totals = last(TOTALS, output);
        Matcher loss = last(LOSS, output);
        assertThat(totals != null && loss != null).as("uclient printed no summary:%n%s", tail(output)).isTrue();
        return new UclientReport(Long.parseLong(totals.group(1)), Long.parseLong(totals.group(2)),
                Long.parseLong(loss.group(1)), Long.parseLong(loss.group(2)));
    }

    /** Every planned message sent, none of its sends dropped, every one echoed back; {@code context} explains. */
    void assertLossless(long planned, String context) {
        assertThat(sent).as("messages sent (planned %d):%n%s", planned, context).isGreaterThanOrEqualTo(planned);
        assertThat(sendDropped).as("sends dropped:%n%s", context).isZero();
        assertThat(received).as("messages received back:%n%s", context).isEqualTo(sent);
        assertThat(lost).as("messages lost:%n%s", context).isZero();
    }

    /**
     * A run that completed (every planned message sent, no send dropped) and missed only a few echoes: at
     * most 1 % of what it sent, and at least one.
     */
    boolean completeWithSmallEchoLoss(long planned) {
        return sent >= planned && sendDropped == 0 && lost > 0 && lost <= Math.max(1, sent / 100)
                && received < sent;
    }

    private static Matcher last(Pattern pattern, String output) {
        Matcher m = pattern.matcher(output);
        Matcher found = null;
        while (m.find()) {
            found = pattern.matcher(output);
            found.find(m.start());
        }
        return found;
    }

    static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 25), lines.length));
    }
}
