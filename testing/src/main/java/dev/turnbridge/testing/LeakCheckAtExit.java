package dev.turnbridge.testing;

import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The last look: a leak reported after the last test class finished has no class left to fail, so it fails
 * the test JVM's run when the launcher session closes (surefire reports it as an error of the fork).
 */
public final class LeakCheckAtExit implements LauncherSessionListener {
    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<String> leaks;
        try {
            leaks = LeakGuard.collect();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            leaks = LeakGuard.taken();
        }
        if (!leaks.isEmpty()) {
            String message = "Netty buffer leak reported after the last test class finished: "
                    + LeakGuard.describe(leaks);
            System.err.println(message);
            throw new AssertionError(message);
        }
    }
}
