package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A loop whose task queue never runs dry still goes back to I/O. Counted, not timed: a chain of tasks that
 * each queue the next keeps the loop busy for a second, and a 10 ms timer (which the loop only picks up
 * between two runs of tasks) counts how often it got out. Netty's default quantum (a second) lets it out about
 * once; this test fails with it (TASK_QUANTUM_MILLIS = 1000).
 */
class IoFirstEventLoopGroupTest {

    /** Ticks of the timer while the chain ran, and how many tasks the chain ran. */
    private record Busy(int ticks, int tasks) {
    }

    private static Busy ticksWhileBusy(EventLoopGroup group) throws Exception {
        try {
            EventLoop loop = group.next();
            AtomicInteger ticks = new AtomicInteger();
            AtomicInteger ticksWhileBusy = new AtomicInteger();
            AtomicInteger tasks = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            loop.scheduleAtFixedRate(ticks::incrementAndGet, 10, 10, TimeUnit.MILLISECONDS);
            loop.execute(new Runnable() {
                @Override
                public void run() {
                    tasks.incrementAndGet();
                    if (System.nanoTime() < end) {
                        loop.execute(this); // the queue is never empty while the chain runs
                    } else {
                        // read here, on the loop: right after this the loop runs the ticks it missed one after
                        // another (a fixed rate catches up), before a busy machine may wake the test thread
                        ticksWhileBusy.set(ticks.get());
                        done.countDown();
                    }
                }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            return new Busy(ticksWhileBusy.get(), tasks.get());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aLoopWhoseQueueNeverEmptiesStillRunsItsTimers() throws Exception {
        Busy ours = ticksWhileBusy(new IoFirstEventLoopGroup(1, new DefaultThreadFactory("io-first", true),
                NioIoHandler.newFactory()));
        assertThat(ours.tasks()).as("the chain kept the queue busy").isGreaterThan(10_000);
        assertThat(ours.ticks()).as("ticks in 1 s with a %d ms quantum", IoFirstEventLoopGroup.TASK_QUANTUM_MILLIS)
                .isGreaterThan(20);
    }
}
