package dev.turnbridge.testing;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's leak detector with a memory: every leak it reports is kept until a check takes it, so a test run
 * can fail on it instead of only logging it. Installed for every test JVM by the build, before any test engine
 * runs, through {@code -Dio.netty.customResourceLeakDetector=dev.turnbridge.testing.LeakGuard} (Netty reads it
 * when it creates its first detector), so no engine can create the plain detector first.
 */
public class LeakGuard<T> extends ResourceLeakDetector<T> {
    private static final Queue<String> REPORTED = new ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    @SuppressWarnings("deprecation") // the constructor Netty's factory looks up by reflection
    public LeakGuard(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        installed = true;
    }

    public LeakGuard(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    @Override
    protected boolean needReport() {
        return true; // Netty skips reporting when its logger is quiet; a leak must fail the run regardless
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        REPORTED.add("LEAK: " + resourceType + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        REPORTED.add("LEAK: " + resourceType + " (no access records)");
        super.reportUntracedLeak(resourceType);
    }

    /** Fails unless this detector is Netty's and runs at PARANOID (the build sets both). */
    static void requireInstalled() {
        // Netty creates the buffer detector when the first buffer class loads; make sure that has happened
        PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
        if (!installed) {
            throw new AssertionError("the buffer-leak guard is not installed: run tests through Maven, or pass"
                    + " -Dio.netty.customResourceLeakDetector=" + LeakGuard.class.getName());
        }
        if (getLevel() != Level.PARANOID) {
            throw new AssertionError("Netty's leak detection level is " + getLevel()
                    + ", tests need PARANOID (-Dio.netty.leakDetectionLevel=paranoid)");
        }
    }

    /**
     * Makes Netty report buffers lost so far (it reports when a lost buffer has been collected and another
     * one is tracked) and takes every report not yet taken.
     */
    static List<String> collect() throws InterruptedException {
        for (int i = 0; i < 2 && REPORTED.isEmpty(); i++) {
            System.gc();
            Thread.sleep(25); // the collector enqueues cleared references on its own thread
            PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
        }
        return taken();
    }

    /** Takes the reports made so far without provoking new ones. */
    static List<String> taken() {
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = REPORTED.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    static String describe(List<String> leaks) {
        return leaks.size() + " leak(s); the first:\n" + leaks.get(0);
    }
}
