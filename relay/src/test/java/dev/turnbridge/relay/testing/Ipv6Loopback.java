package dev.turnbridge.relay.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;

/**
 * Whether this machine has {@code ::1}, for the IPv6 parts of loopback tests. Where it is missing they are
 * skipped, except under {@code scripts/test} ({@code -Dturnbridge.requireIpv6Loopback=true}), where a
 * missing {@code ::1} fails: the full run must not pass with its IPv6 half silently left out.
 */
public final class Ipv6Loopback {
    private Ipv6Loopback() {
    }

    /** {@code -Dturnbridge.ipv6Loopback=absent} pretends it is missing, to run the IPv4-only paths here. */
    public static boolean available() {
        if ("absent".equals(System.getProperty("turnbridge.ipv6Loopback"))) {
            return false;
        }
        try {
            return NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** Ends the calling test here when {@code ::1} is missing: skipped, or failed under scripts/test. */
    public static void require(String what) {
        if (available()) {
            return;
        }
        String reason = "::1 is not configured, " + what + " did not run";
        if (Boolean.getBoolean("turnbridge.requireIpv6Loopback")) {
            throw new AssertionError(reason + " (scripts/test requires ::1 on lo)");
        }
        assumeTrue(false, reason);
    }
}
