package dev.turnbridge.relay.handler;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers signed responses for 40 s (RFC 8489 §6.3.1: the time a client keeps retransmitting over UDP)
 * so that a retransmitted Allocate, Refresh, CreatePermission or ChannelBind gets the same answer instead of
 * being run twice (a second Allocate would see 437, a second Refresh(0) 437). Bounded in entries; one per
 * event loop, so unsynchronized.
 */
public final class TransactionCache {
    static final long TTL_MILLIS = 40_000;

    private final int maxEntries;
    private final LinkedHashMap<Key, Entry> entries;

    public TransactionCache(int maxEntries) {
        this.maxEntries = maxEntries;
        this.entries = new LinkedHashMap<>(64, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
                return size() > TransactionCache.this.maxEntries;
            }
        };
    }

    public byte[] get(InetSocketAddress client, byte[] transactionId, long nowMillis) {
        Entry e = entries.get(new Key(client, transactionId));
        return e != null && nowMillis < e.expiresAtMillis ? e.response : null;
    }

    public void put(InetSocketAddress client, byte[] transactionId, byte[] response, long nowMillis) {
        entries.put(new Key(client, transactionId), new Entry(response, nowMillis + TTL_MILLIS));
    }

    /** Drops entries past their time (insertion order is expiry order). */
    public void expire(long nowMillis) {
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext() && it.next().expiresAtMillis <= nowMillis) {
            it.remove();
        }
    }

    public int size() {
        return entries.size();
    }

    private record Entry(byte[] response, long expiresAtMillis) {
    }

    private record Key(InetSocketAddress client, byte[] transactionId) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && client.equals(k.client) && Arrays.equals(transactionId, k.transactionId);
        }

        @Override
        public int hashCode() {
            return client.hashCode() * 31 + Arrays.hashCode(transactionId);
        }
    }
}
