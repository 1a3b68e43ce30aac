package dev.turnbridge.relay.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoomShareTest {

    @Test
    void burstThenRate() {
        RoomShare share = new RoomShare("ROOM2345", 1000, 3000);
        long t = 1_000_000;
        int admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += share.admit(1000, t) ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(4);
        assertThat(share.droppedDatagrams()).isEqualTo(6);
        assertThat(share.admit(1000, t + 999)).as("not yet a second's worth").isFalse();
        assertThat(share.admit(1000, t + 1000)).isTrue();
        assertThat(share.admit(1, t + 1000)).isFalse();
        assertThat(share.relayedBytes()).isEqualTo(5000);
        // idle time refills up to the burst, not beyond
        admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += share.admit(1000, t + 100_000) ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(4);
    }

    @Test
    void noBudgetAdmitsEverything() {
        RoomShare share = new RoomShare("ROOM2345", 0, 0);
        for (int i = 0; i < 1000; i++) {
            assertThat(share.admit(65535, 0)).isTrue();
        }
        assertThat(share.relayedBytes()).isEqualTo(65535L * 1000);
    }

    /** Event loops admit concurrently: together they never pass more than the burst at one instant. */
    @Test
    void concurrentAdmissionsShareOneBudget() throws Exception {
        RoomShare share = new RoomShare("ROOM2345", 1_000_000, 100_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> parts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            parts.add(pool.submit(() -> {
                go.await();
                int n = 0;
                for (int i = 0; i < 10_000; i++) {
                    n += share.admit(100, 5_000) ? 1 : 0;
                }
                return n;
            }));
        }
        go.countDown();
        int admitted = 0;
        for (Future<Integer> f : parts) {
            admitted += f.get(10, TimeUnit.SECONDS);
        }
        pool.shutdown();
        // 100 000 bytes of burst + the first datagram = 1001 datagrams of 100 bytes, exactly
        assertThat(admitted).isEqualTo(1001);
        assertThat(share.droppedDatagrams()).isEqualTo(40_000 - 1001);
    }
}
