package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TransactionCacheTest {
    private static final InetSocketAddress ALICE = new InetSocketAddress("203.0.113.1", 40000);
    private static final InetSocketAddress ALICE_OTHER_PORT = new InetSocketAddress("203.0.113.1", 40001);
    private static final InetSocketAddress BOB = new InetSocketAddress("203.0.113.2", 40000);
    private static final byte[] TX1 = HexFormat.of().parseHex("000102030405060708090a0b");
    private static final byte[] TX2 = HexFormat.of().parseHex("000102030405060708090a0c");
    private static final byte[] RESPONSE = {1, 2, 3};

    @Test
    void hitWithinFortySecondsMissAfter() {
        TransactionCache cache = new TransactionCache(16);
        cache.put(ALICE, TX1, RESPONSE, 1000);
        assertThat(cache.get(ALICE, TX1, 1000)).isSameAs(RESPONSE);
        assertThat(cache.get(ALICE, TX1, 1000 + 39_999)).isSameAs(RESPONSE);
        assertThat(cache.get(ALICE, TX1, 1000 + 40_000)).isNull();
    }

    @Test
    void keyedByClientAndTransactionId() {
        TransactionCache cache = new TransactionCache(16);
        cache.put(ALICE, TX1, RESPONSE, 0);
        assertThat(cache.get(ALICE, TX1.clone(), 0)).as("by value").isSameAs(RESPONSE);
        assertThat(cache.get(ALICE, TX2, 0)).isNull();
        assertThat(cache.get(BOB, TX1, 0)).isNull();
        assertThat(cache.get(ALICE_OTHER_PORT, TX1, 0)).isNull();

        byte[] bobs = {9};
        cache.put(BOB, TX1, bobs, 0);
        assertThat(cache.get(ALICE, TX1, 0)).isSameAs(RESPONSE);
        assertThat(cache.get(BOB, TX1, 0)).isSameAs(bobs);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void boundedSizeEvictsTheOldest() {
        TransactionCache cache = new TransactionCache(3);
        byte[][] tx = new byte[5][];
        for (int i = 0; i < 5; i++) {
            tx[i] = TX1.clone();
            tx[i][11] = (byte) i;
            cache.put(ALICE, tx[i], new byte[] {(byte) i}, i);
            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.get(ALICE, tx[0], 10)).isNull();
        assertThat(cache.get(ALICE, tx[1], 10)).isNull();
        assertThat(cache.get(ALICE, tx[2], 10)).containsExactly(2);
        assertThat(cache.get(ALICE, tx[3], 10)).containsExactly(3);
        assertThat(cache.get(ALICE, tx[4], 10)).containsExactly(4);
    }

    @Test
    void readingDoesNotProtectAnEntryFromEviction() {
        // eviction is by insertion (expiry) order, not by access
        TransactionCache cache = new TransactionCache(2);
        cache.put(ALICE, TX1, RESPONSE, 0);
        cache.put(BOB, TX1, RESPONSE, 1);
        cache.get(ALICE, TX1, 2);
        cache.put(BOB, TX2, RESPONSE, 3);
        assertThat(cache.get(ALICE, TX1, 4)).isNull();
        assertThat(cache.get(BOB, TX1, 4)).isNotNull();
    }

    @Test
    void expireDropsOnlyEntriesPastTheirTime() {
        TransactionCache cache = new TransactionCache(16);
        cache.put(ALICE, TX1, RESPONSE, 0);
        cache.put(ALICE, TX2, RESPONSE, 10_000);
        cache.put(BOB, TX1, RESPONSE, 20_000);
        cache.expire(39_999);
        assertThat(cache.size()).isEqualTo(3);
        cache.expire(40_000);
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(ALICE, TX2, 40_000)).isSameAs(RESPONSE);
        cache.expire(60_000);
        assertThat(cache.size()).isZero();
    }

    @Test
    void putReplacesTheResponseAndItsTime() {
        TransactionCache cache = new TransactionCache(16);
        byte[] second = {4};
        cache.put(ALICE, TX1, RESPONSE, 0);
        cache.put(ALICE, TX1, second, 30_000);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.get(ALICE, TX1, 69_999)).isSameAs(second);
    }
}
