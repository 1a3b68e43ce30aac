package dev.turnbridge.relay.handler;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Remembers signed responses for 40 s (RFC 8489 §6.3.1: the time a client keeps retransmitting over UDP)
 * so that a retransmitted Allocate, Refresh, CreatePermission or ChannelBind gets the same answer instead of
 * being run twice (a second Allocate would see 437, a second Refresh(0) 437). Bounded in entries and bytes; one
 * per event loop, so unsynchronized.
 *
 * <p>Entries live in primitive arrays, not objects. An entry outlives many young collections, so as objects
 * (key, client address, id, response, map node) every one was copied, promoted and later swept out of the old
 * generation: about a tenth of an authenticated allocation's CPU. Here the arrays are a few long-lived objects
 * that hold no references. Entries and their bytes are kept in insertion order, which is expiry order (one
 * time to live for all), in two rings that grow up to the bounds; a hash index (chains of slots) finds them.
 */
public final class TransactionCache {
    static final long TTL_MILLIS = 40_000;
    /** Bytes of responses held per entry of the bound, on average; a signed answer is 60-200 bytes. */
    static final int BYTES_PER_ENTRY = 256;
    /** Room for at least a few responses of any size a transport answers with, however few the entries. */
    static final int MIN_BYTES = 4096;
    private static final int INITIAL_ENTRIES = 8;
    private static final int INITIAL_BYTES = 1024;
    private static final int NONE = -1;
    private static final int IPV6 = 1 << 16;
    // a connection's cache takes no room until it remembers something
    private static final long[] NO_LONGS = {};
    private static final int[] NO_INTS = {};
    private static final byte[] NO_BYTES = {};

    private final int maxEntries;
    private final int maxBytes;

    // the entry ring: slots first .. first + used - 1 (mod capacity), oldest first; a replaced entry stays in
    // place as a hole (hash NONE, unlinked) until it is the oldest
    private int first;
    private int used;
    private int live;
    private long[] idHigh = NO_LONGS;
    private int[] idLow = NO_INTS;
    private long[] addressHigh = NO_LONGS;
    private long[] addressLow = NO_LONGS;
    private int[] portAndFamily = NO_INTS;
    private long[] expiresAt = NO_LONGS;
    private int[] offset = NO_INTS;
    private int[] length = NO_INTS;
    private int[] hash = NO_INTS;
    private int[] nextInChain = NO_INTS;
    private int[] chains = NO_INTS;

    // the byte ring: an entry's bytes are contiguous, in the entries' order; the next goes at writeAt (or at 0)
    private byte[] bytes = NO_BYTES;
    private int writeAt;

    // the key being looked up or stored (the cache is confined to one thread)
    private long keyAddressHigh;
    private long keyAddressLow;
    private int keyPort;
    private long keyIdHigh;
    private int keyIdLow;

    public TransactionCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.maxBytes = Math.max(MIN_BYTES, (int) Math.min(Integer.MAX_VALUE / 2, (long) maxEntries * BYTES_PER_ENTRY));
    }

    /** A copy of the response remembered for this client's transaction, or null. */
    public byte[] get(InetSocketAddress client, byte[] transactionId, long nowMillis) {
        int slot = find(client, transactionId);
        if (slot == NONE || nowMillis >= expiresAt[slot]) {
            return null;
        }
        return Arrays.copyOfRange(bytes, offset[slot], offset[slot] + length[slot]);
    }

    /**
     * Remembers {@code response} (copied) for the client's transaction, keyed by the transaction id in the
     * response's header (bytes 8-19); a response larger than the byte bound is not remembered.
     */
    public void put(InetSocketAddress client, byte[] response, long nowMillis) {
        if (response.length < 20) {
            throw new IllegalArgumentException("not a STUN message: " + response.length + " bytes");
        }
        int existing = find(client, response, 8);
        if (existing != NONE) {
            remove(existing);
        }
        if (response.length > maxBytes) {
            return; // and the transaction's earlier answer is gone with it
        }
        expire(nowMillis);
        if (used == idHigh.length) {
            if (idHigh.length < maxEntries) {
                growEntries();
            } else {
                dropOldest();
            }
        }
        int at = reserveBytes(response.length);
        System.arraycopy(response, 0, bytes, at, response.length);
        writeAt = at + response.length;

        int slot = (first + used) % idHigh.length;
        used++;
        live++;
        readKey(client, response, 8);
        addressHigh[slot] = keyAddressHigh;
        addressLow[slot] = keyAddressLow;
        portAndFamily[slot] = keyPort;
        idHigh[slot] = keyIdHigh;
        idLow[slot] = keyIdLow;
        expiresAt[slot] = nowMillis + TTL_MILLIS;
        offset[slot] = at;
        length[slot] = response.length;
        link(slot);
    }

    /** Drops entries past their time. */
    public void expire(long nowMillis) {
        while (used > 0 && (hash[first] == NONE || expiresAt[first] <= nowMillis)) {
            dropOldest();
        }
    }

    public int size() {
        return live;
    }

    private int find(InetSocketAddress client, byte[] id, int idOffset) {
        if (live == 0) {
            return NONE;
        }
        readKey(client, id, idOffset);
        int h = hash(keyAddressHigh, keyAddressLow, keyPort, keyIdHigh, keyIdLow);
        for (int s = chains[h & (chains.length - 1)]; s != NONE; s = nextInChain[s]) {
            if (hash[s] == h && idHigh[s] == keyIdHigh && idLow[s] == keyIdLow && portAndFamily[s] == keyPort
                    && addressLow[s] == keyAddressLow && addressHigh[s] == keyAddressHigh) {
                return s;
            }
        }
        return NONE;
    }

    /** Reads a client and transaction id into the key fields, without allocating for an IPv4 client. */
    private void readKey(InetSocketAddress client, byte[] id, int idOffset) {
        InetAddress address = client.getAddress();
        if (address instanceof Inet4Address) {
            keyAddressHigh = 0;
            keyAddressLow = address.hashCode() & 0xFFFFFFFFL; // Inet4Address's hash is its address
            keyPort = client.getPort();
        } else {
            byte[] a = address.getAddress();
            keyAddressHigh = longAt(a, 0);
            keyAddressLow = longAt(a, 8);
            keyPort = client.getPort() | IPV6;
        }
        keyIdHigh = longAt(id, idOffset);
        keyIdLow = intAt(id, idOffset + 8);
    }

    private int find(InetSocketAddress client, byte[] transactionId) {
        if (transactionId.length != 12) {
            return NONE;
        }
        return find(client, transactionId, 0);
    }

    private static int hash(long addressHigh, long addressLow, int port, long idHigh, int idLow) {
        long h = addressHigh * 0x9E3779B97F4A7C15L;
        h = (h ^ addressLow) * 0x9E3779B97F4A7C15L;
        h = (h ^ port) * 0x9E3779B97F4A7C15L;
        h = (h ^ idHigh) * 0x9E3779B97F4A7C15L;
        h = (h ^ idLow) * 0x9E3779B97F4A7C15L;
        int folded = (int) (h ^ (h >>> 32));
        return folded == NONE ? 0 : folded; // NONE marks a hole
    }

    private void link(int slot) {
        int h = hash(addressHigh[slot], addressLow[slot], portAndFamily[slot], idHigh[slot], idLow[slot]);
        hash[slot] = h;
        int chain = h & (chains.length - 1);
        nextInChain[slot] = chains[chain];
        chains[chain] = slot;
    }

    private void unlink(int slot) {
        int chain = hash[slot] & (chains.length - 1);
        if (chains[chain] == slot) {
            chains[chain] = nextInChain[slot];
        } else {
            int s = chains[chain];
            while (nextInChain[s] != slot) {
                s = nextInChain[s];
            }
            nextInChain[s] = nextInChain[slot];
        }
        hash[slot] = NONE;
    }

    /** Makes a replaced entry a hole; its bytes stay taken until it is the oldest. */
    private void remove(int slot) {
        unlink(slot);
        live--;
    }

    private void dropOldest() {
        if (hash[first] != NONE) {
            remove(first);
        }
        first = (first + 1) % idHigh.length;
        used--;
        if (used == 0) {
            first = 0;
            writeAt = 0;
        }
    }

    /** Where {@code n} bytes go: after the newest entry's, or at 0, dropping the oldest entries or growing. */
    private int reserveBytes(int n) {
        while (true) {
            if (used == 0 && n <= bytes.length) {
                return 0;
            }
            if (used > 0) {
                int oldest = offset[first];
                if (writeAt > oldest) { // not wrapped: free space after writeAt and before the oldest
                    if (writeAt + n <= bytes.length) {
                        return writeAt;
                    }
                    if (n <= oldest) {
                        return 0;
                    }
                } else if (writeAt + n <= oldest) { // wrapped: free space between the newest and the oldest
                    return writeAt;
                }
            }
            if (bytes.length < maxBytes) {
                growBytes(n);
            } else {
                dropOldest();
            }
        }
    }

    /** Doubles the byte ring (at least to fit {@code n} more), moving the entries' bytes to its start in order. */
    private void growBytes(int n) {
        int capacity = Math.max(INITIAL_BYTES, bytes.length * 2);
        while (capacity < n) {
            capacity *= 2;
        }
        byte[] grown = new byte[Math.min(capacity, maxBytes)];
        int at = 0;
        for (int i = 0; i < used; i++) {
            int s = (first + i) % idHigh.length;
            System.arraycopy(bytes, offset[s], grown, at, length[s]);
            offset[s] = at;
            at += length[s];
        }
        bytes = grown;
        writeAt = at;
    }

    /** Doubles the entry ring, the oldest entry moving to slot 0, and rebuilds the index. */
    private void growEntries() {
        int capacity = Math.min(maxEntries, Math.max(INITIAL_ENTRIES, idHigh.length * 2));
        idHigh = reorder(idHigh, capacity);
        idLow = reorder(idLow, capacity);
        addressHigh = reorder(addressHigh, capacity);
        addressLow = reorder(addressLow, capacity);
        portAndFamily = reorder(portAndFamily, capacity);
        expiresAt = reorder(expiresAt, capacity);
        offset = reorder(offset, capacity);
        length = reorder(length, capacity);
        hash = reorder(hash, capacity);
        nextInChain = new int[capacity];
        first = 0;
        chains = new int[Integer.highestOneBit(capacity * 2 - 1) * 2];
        Arrays.fill(chains, NONE);
        for (int s = 0; s < used; s++) {
            if (hash[s] != NONE) {
                link(s);
            }
        }
    }

    private long[] reorder(long[] ring, int capacity) {
        long[] grown = new long[capacity];
        for (int i = 0; i < used; i++) {
            grown[i] = ring[(first + i) % ring.length];
        }
        return grown;
    }

    private int[] reorder(int[] ring, int capacity) {
        int[] grown = new int[capacity];
        for (int i = 0; i < used; i++) {
            grown[i] = ring[(first + i) % ring.length];
        }
        return grown;
    }

    private static long longAt(byte[] b, int at) {
        return ((long) intAt(b, at) << 32) | (intAt(b, at + 4) & 0xFFFFFFFFL);
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
