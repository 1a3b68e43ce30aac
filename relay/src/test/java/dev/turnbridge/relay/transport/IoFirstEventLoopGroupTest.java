package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A loop whose task queue never runs dry still goes back to I/O. Counted, not timed: a chain of tasks that
 * each queue the next keeps the loop busy for a second, and a 10 ms timer (which the loop only picks up
 * between two runs of tasks) counts how often it got out. Netty's default lets it out about once.
 */
class IoFirstEventLoopGroupTest {

    private static int ticksWhileBusy(EventLoopGroup group) throws Exception {
        try {
            EventLoop loop = group.next();
            AtomicInteger ticks = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            loop.scheduleAtFixedRate(ticks::incrementAndGet, 10, 10, TimeUnit.MILLISECONDS);
            loop.execute(new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() < end) {
                        loop.execute(this); // the queue is never empty while the chain runs
                    } else {
                        done.countDown();
                    }
                }
            });
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            return ticks.get();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aLoopWhoseQueueNeverEmptiesStillRunsItsTimers() throws Exception {
        int ours = ticksWhileBusy(new IoFirstEventLoopGroup(1, new DefaultThreadFactory("io-first", true),
                NioIoHandler.newFactory()));
        int netty = ticksWhileBusy(new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("netty-default", true),
                NioIoHandler.newFactory()));
        assertThat(ours).as("ticks in 1 s with a 2 ms quantum (Netty's default: %d)", netty).isGreaterThan(20);
        assertThat(netty).as("the default quantum, which this group exists to shorten").isLessThan(ours);
    }
}
