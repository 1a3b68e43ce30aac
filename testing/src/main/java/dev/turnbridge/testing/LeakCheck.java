package dev.turnbridge.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a JUnit Jupiter test class whose buffers Netty's detector reports as leaked. Registered for every
 * class through extension auto-detection (META-INF/services, enabled in the build's surefire configuration).
 * A leak reported after a class had finished fails the next class instead of being forgotten.
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        LeakGuard.requireInstalled();
        List<String> late = LeakGuard.taken();
        if (!late.isEmpty()) {
            throw new AssertionError("Netty buffer leak reported before " + context.getDisplayName()
                    + " started (left by an earlier test class): " + LeakGuard.describe(late));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = LeakGuard.collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty buffer leak in " + context.getDisplayName() + ": "
                    + LeakGuard.describe(leaks));
        }
    }
}
