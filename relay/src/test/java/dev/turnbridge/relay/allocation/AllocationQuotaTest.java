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

class AllocationQuotaTest {

    @Test
    void perUserLimit() {
        AllocationQuota quota = new AllocationQuota(2, 100);
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("alice")).isFalse();
        assertThat(quota.live()).as("a refusal claims nothing").isEqualTo(2);
        assertThat(quota.tryAcquire("bob")).as("other users are not affected").isTrue();
        quota.release("alice");
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("alice")).isFalse();
    }

    @Test
    void totalLimit() {
        AllocationQuota quota = new AllocationQuota(5, 3);
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("bob")).isTrue();
        assertThat(quota.tryAcquire("carol")).isTrue();
        assertThat(quota.tryAcquire("dave")).isFalse();
        assertThat(quota.live()).isEqualTo(3);
        quota.release("bob");
        assertThat(quota.live()).isEqualTo(2);
        assertThat(quota.tryAcquire("dave")).isTrue();
    }

    @Test
    void refusalByTotalDoesNotCountAgainstTheUser() {
        AllocationQuota quota = new AllocationQuota(1, 1);
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("bob")).isFalse();
        quota.release("alice");
        assertThat(quota.tryAcquire("bob")).as("bob's failed attempt left no trace").isTrue();
    }

    @Test
    void userCountStartsAfreshAfterReleasingEverything() {
        AllocationQuota quota = new AllocationQuota(2, 10);
        quota.tryAcquire("alice");
        quota.tryAcquire("alice");
        quota.release("alice");
        quota.release("alice");
        assertThat(quota.live()).isZero();
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("alice")).isTrue();
        assertThat(quota.tryAcquire("alice")).isFalse();
    }

    @Test
    void concurrentClaimsNeverExceedTheTotal() throws Exception {
        int threads = 8;
        int attemptsEach = 500;
        AllocationQuota quota = new AllocationQuota(Integer.MAX_VALUE, 1000);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String user = "user" + (t % 3);
                results.add(pool.submit(() -> {
                    start.await();
                    int won = 0;
                    for (int i = 0; i < attemptsEach; i++) {
                        if (quota.tryAcquire(user)) {
                            won++;
                        }
                    }
                    return won;
                }));
            }
            start.countDown();
            int won = 0;
            for (Future<Integer> f : results) {
                won += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(won).isEqualTo(1000);
            assertThat(quota.live()).isEqualTo(1000);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentClaimsNeverExceedThePerUserLimit() throws Exception {
        AllocationQuota quota = new AllocationQuota(7, 1000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return quota.tryAcquire("alice");
                }));
            }
            start.countDown();
            int won = 0;
            for (Future<Boolean> f : results) {
                won += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(won).isEqualTo(7);
            assertThat(quota.live()).isEqualTo(7);
        } finally {
            pool.shutdownNow();
        }
    }
}
