package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransactionCacheTest {
    private static final InetSocketAddress ALICE = new InetSocketAddress("203.0.113.1", 40000);
    private static final InetSocketAddress ALICE_OTHER_PORT = new InetSocketAddress("203.0.113.1", 40001);
    private static final InetSocketAddress BOB = new InetSocketAddress("203.0.113.2", 40000);
    private static final InetSocketAddress CAROL_V6 = new InetSocketAddress("2001:db8::1", 40000);
    // the IPv4-compatible IPv6 form of ALICE's address: a different client
    private static final InetSocketAddress ALICE_AS_V6 = new InetSocketAddress("::203.0.113.1", 40000);
    private static final byte[] TX1 = HexFormat.of().parseHex("000102030405060708090a0b");
    private static final byte[] TX2 = HexFormat.of().parseHex("000102030405060708090a0c");

    /** A response of {@code size} bytes for transaction {@code id}: header, then {@code fill}. */
    private static byte[] response(byte[] id, int size, int fill) {
        byte[] r = new byte[size];
        Arrays.fill(r, (byte) fill);
        System.arraycopy(id, 0, r, 8, 12);
        return r;
    }

    private static byte[] id(int n) {
        byte[] id = TX1.clone();
        id[10] = (byte) (n >> 8);
        id[11] = (byte) n;
        return id;
    }

    @Test
    void hitWithinFortySecondsMissAfter() {
        TransactionCache cache = new TransactionCache(16);
        byte[] r = response(TX1, 40, 7);
        cache.put(ALICE, r, 1000);
        assertThat(cache.get(ALICE, TX1, 1000)).isEqualTo(r).isNotSameAs(r);
        assertThat(cache.get(ALICE, TX1, 1000 + 39_999)).isEqualTo(r);
        assertThat(cache.get(ALICE, TX1, 1000 + 40_000)).isNull();
    }

    @Test
    void keyedByClientAndTransactionId() {
        TransactionCache cache = new TransactionCache(16);
        byte[] alices = response(TX1, 24, 1);
        cache.put(ALICE, alices, 0);
        assertThat(cache.get(ALICE, TX1.clone(), 0)).as("by value").isEqualTo(alices);
        assertThat(cache.get(ALICE, TX2, 0)).isNull();
        assertThat(cache.get(BOB, TX1, 0)).isNull();
        assertThat(cache.get(ALICE_OTHER_PORT, TX1, 0)).isNull();
        assertThat(cache.get(ALICE_AS_V6, TX1, 0)).isNull();
        assertThat(cache.get(ALICE, Arrays.copyOf(TX1, 11), 0)).as("not a transaction id").isNull();

        byte[] bobs = response(TX1, 32, 2);
        byte[] carols = response(TX1, 28, 3);
        cache.put(BOB, bobs, 0);
        cache.put(CAROL_V6, carols, 0);
        assertThat(cache.get(ALICE, TX1, 0)).isEqualTo(alices);
        assertThat(cache.get(BOB, TX1, 0)).isEqualTo(bobs);
        assertThat(cache.get(CAROL_V6, TX1, 0)).isEqualTo(carols);
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void boundedSizeEvictsTheOldest() {
        TransactionCache cache = new TransactionCache(3);
        for (int i = 0; i < 5; i++) {
            cache.put(ALICE, response(id(i), 20, i), i);
            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }
        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.get(ALICE, id(0), 10)).isNull();
        assertThat(cache.get(ALICE, id(1), 10)).isNull();
        assertThat(cache.get(ALICE, id(2), 10)).isEqualTo(response(id(2), 20, 2));
        assertThat(cache.get(ALICE, id(3), 10)).isEqualTo(response(id(3), 20, 3));
        assertThat(cache.get(ALICE, id(4), 10)).isEqualTo(response(id(4), 20, 4));
    }

    @Test
    void boundedInBytesEvictsTheOldest() {
        // 8 entries may hold at most MIN_BYTES: the third large response pushes out the first
        TransactionCache cache = new TransactionCache(8);
        int large = TransactionCache.MIN_BYTES / 2 - 10;
        cache.put(ALICE, response(id(0), large, 0), 0);
        cache.put(ALICE, response(id(1), large, 1), 0);
        cache.put(ALICE, response(id(2), large, 2), 0);
        assertThat(cache.get(ALICE, id(0), 0)).isNull();
        assertThat(cache.get(ALICE, id(1), 0)).isEqualTo(response(id(1), large, 1));
        assertThat(cache.get(ALICE, id(2), 0)).isEqualTo(response(id(2), large, 2));

        cache.put(ALICE, response(id(3), TransactionCache.MIN_BYTES + 1, 3), 0);
        assertThat(cache.get(ALICE, id(3), 0)).as("larger than the whole bound: not kept").isNull();
        assertThat(cache.size()).isEqualTo(2);
        cache.put(ALICE, response(id(2), TransactionCache.MIN_BYTES + 1, 3), 0);
        assertThat(cache.get(ALICE, id(2), 0)).as("nor the answer it replaces").isNull();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void readingDoesNotProtectAnEntryFromEviction() {
        // eviction is by insertion (expiry) order, not by access
        TransactionCache cache = new TransactionCache(2);
        cache.put(ALICE, response(TX1, 20, 0), 0);
        cache.put(BOB, response(TX1, 20, 0), 1);
        cache.get(ALICE, TX1, 2);
        cache.put(BOB, response(TX2, 20, 0), 3);
        assertThat(cache.get(ALICE, TX1, 4)).isNull();
        assertThat(cache.get(BOB, TX1, 4)).isNotNull();
    }

    @Test
    void expireDropsOnlyEntriesPastTheirTime() {
        TransactionCache cache = new TransactionCache(16);
        cache.put(ALICE, response(TX1, 20, 0), 0);
        cache.put(ALICE, response(TX2, 20, 0), 10_000);
        cache.put(BOB, response(TX1, 20, 0), 20_000);
        cache.expire(39_999);
        assertThat(cache.size()).isEqualTo(3);
        cache.expire(40_000);
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(ALICE, TX2, 40_000)).isNotNull();
        cache.expire(60_000);
        assertThat(cache.size()).isZero();
        assertThat(cache.get(BOB, TX1, 0)).isNull();
    }

    @Test
    void putReplacesTheResponseAndItsTime() {
        TransactionCache cache = new TransactionCache(16);
        byte[] second = response(TX1, 30, 4);
        cache.put(ALICE, response(TX1, 20, 0), 0);
        cache.put(BOB, response(TX1, 20, 0), 10_000);
        cache.put(ALICE, second, 30_000);
        assertThat(cache.size()).isEqualTo(2);
        cache.expire(50_000);
        assertThat(cache.get(ALICE, TX1, 69_999)).isEqualTo(second);
        assertThat(cache.get(BOB, TX1, 49_999)).as("expired at 50 s").isNull();
    }

    /**
     * Random puts, gets and expiries against a model (a list in insertion order, bounded in entries only, where a
     * replaced entry stays as a hole until it is the oldest, as in the cache): the cache never answers with bytes
     * other than the newest put for that key within its time, and keeps every entry the model keeps whose newer
     * entries' bytes leave room for it (a ring can waste up to one response's size at its end).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 8, 33})
    void agreesWithAModel(int maxEntries) {
        InetSocketAddress[] clients = {ALICE, ALICE_OTHER_PORT, BOB, CAROL_V6, ALICE_AS_V6};
        int largest = 20 + 1500;
        for (long seed = 0; seed < 40; seed++) {
            Random random = new Random(seed * 31 + maxEntries);
            TransactionCache cache = new TransactionCache(maxEntries);
            List<ModelEntry> model = new ArrayList<>();
            long now = 0;
            int maxBytes = Math.max(TransactionCache.MIN_BYTES, maxEntries * TransactionCache.BYTES_PER_ENTRY);
            for (int step = 0; step < 3000; step++) {
                now += random.nextInt(400);
                InetSocketAddress client = clients[random.nextInt(clients.length)];
                byte[] id = id(random.nextInt(12));
                String where = "seed " + seed + " step " + step;
                switch (random.nextInt(10)) {
                    case 0 -> {
                        cache.expire(now);
                        ModelEntry.expire(model, now);
                    }
                    case 1, 2, 3, 4 -> {
                        int size = 20 + random.nextInt(random.nextInt(8) == 0 ? largest - 20 : 200);
                        byte[] r = response(id, size, step);
                        cache.put(client, r, now);
                        for (int i = 0; i < model.size(); i++) {
                            if (model.get(i).is(client, id)) {
                                model.set(i, model.get(i).hole());
                            }
                        }
                        ModelEntry.expire(model, now);
                        if (model.size() == maxEntries) {
                            model.remove(0);
                        }
                        model.add(new ModelEntry(client, id, r, now + TransactionCache.TTL_MILLIS));
                    }
                    default -> {
                        byte[] got = cache.get(client, id, now);
                        ModelEntry expected = null;
                        int newerBytes = 0;
                        for (int i = model.size() - 1; i >= 0 && expected == null; i--) {
                            newerBytes += model.get(i).response().length;
                            if (model.get(i).is(client, id)) {
                                expected = model.get(i);
                            }
                        }
                        if (expected == null || now >= expected.expiresAt()) {
                            assertThat(got).as(where).isNull();
                        } else if (got != null || newerBytes + largest <= maxBytes) {
                            assertThat(got).as(where).isEqualTo(expected.response());
                        }
                    }
                }
                long live = model.stream().filter(e -> e.client() != null).count();
                assertThat((long) cache.size()).as(where).isLessThanOrEqualTo(live);
            }
        }
    }

    private record ModelEntry(InetSocketAddress client, byte[] id, byte[] response, long expiresAt) {
        boolean is(InetSocketAddress c, byte[] i) {
            return c.equals(client) && Arrays.equals(i, id);
        }

        ModelEntry hole() {
            return new ModelEntry(null, null, response, expiresAt);
        }

        static void expire(List<ModelEntry> model, long now) {
            while (!model.isEmpty() && (model.get(0).client() == null || model.get(0).expiresAt() <= now)) {
                model.remove(0);
            }
        }
    }
}
