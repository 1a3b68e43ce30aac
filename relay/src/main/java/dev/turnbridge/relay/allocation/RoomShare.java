package dev.turnbridge.relay.allocation;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the allocations of one room share across event loops: the room's relayed-bandwidth budget, its
 * relayed byte count, and the addresses its members use (their TURN client addresses and relayed addresses,
 * for strict peers). One instance per room while any member holds an allocation ({@link RoomShares}).
 *
 * <p>The budget is a token bucket in its GCRA form (the "virtual scheduling" of ITU-T I.371): one
 * {@link AtomicLong} holds the theoretical arrival time, the moment the bucket would be full again. A datagram
 * of n bytes is admitted when that time is at most {@code burst} bytes' worth ahead of now, and pushes it
 * n bytes' worth further. One compare-and-set per datagram: no lock and no allocation on the data path, and
 * exact across event loops, because members of one room are served by different loops (their 5-tuples hash
 * to different ones). A per-loop split of the budget would need rebalancing when members move between
 * loops; the shared atomic costs one contended cache line per room only while the room relays.
 */
public final class RoomShare {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final String room;
    private final long nanosPerByte1000; // nanoseconds per 1000 bytes, to keep precision at high rates
    private final long toleranceNanos;
    private final AtomicLong theoreticalArrival = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder relayedBytes = new LongAdder();
    private final LongAdder droppedDatagrams = new LongAdder();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> clients = new ConcurrentHashMap<>();
    private final Set<InetSocketAddress> relayed = ConcurrentHashMap.newKeySet();
    int allocations; // guarded by RoomShares' map entry

    /**
     * @param bytesPerSecond budget, 0 for none
     * @param burst          bytes admitted at once above the rate
     */
    RoomShare(String room, long bytesPerSecond, long burst) {
        this.room = room;
        this.nanosPerByte1000 = bytesPerSecond <= 0 ? 0 : NANOS_PER_SECOND * 1000 / bytesPerSecond;
        this.toleranceNanos = burst * nanosPerByte1000 / 1000;
    }

    public String room() {
        return room;
    }

    /**
     * Whether {@code bytes} more may be relayed now ({@code nowMillis} from the relay's clock); counts them
     * when so, else counts a dropped datagram. Event loops only; allocation-free.
     */
    public boolean admit(int bytes, long nowMillis) {
        if (nanosPerByte1000 == 0) {
            relayedBytes.add(bytes);
            return true;
        }
        long now = nowMillis * 1_000_000L;
        long cost = bytes * nanosPerByte1000 / 1000;
        while (true) {
            long tat = theoreticalArrival.get();
            long start = Math.max(tat, now);
            if (start - now > toleranceNanos) {
                droppedDatagrams.increment();
                return false;
            }
            if (theoreticalArrival.compareAndSet(tat, start + cost)) {
                relayedBytes.add(bytes);
                return true;
            }
        }
    }

    /** Payload bytes relayed for this room, both ways. */
    public long relayedBytes() {
        return relayedBytes.sum();
    }

    /** Datagrams dropped by the budget. */
    public long droppedDatagrams() {
        return droppedDatagrams.sum();
    }

    /** Whether {@code ip} is a TURN client address of a member, or the IP of a member's relayed address. */
    public boolean hasMemberAddress(InetAddress ip) {
        if (clients.containsKey(ip)) {
            return true;
        }
        for (InetSocketAddress r : relayed) {
            if (r.getAddress().equals(ip)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code address} is the relayed transport address of a member's allocation. */
    public boolean hasRelayedAddress(InetSocketAddress address) {
        return relayed.contains(address);
    }

    /** Whether {@code ip} is a TURN client address of a member (not a relayed one). */
    public boolean hasClientAddress(InetAddress ip) {
        return clients.containsKey(ip);
    }

    void joined(Allocation allocation) {
        clients.computeIfAbsent(allocation.fiveTuple().client().getAddress(), a -> new AtomicInteger())
                .incrementAndGet();
        for (RelayedAddress r : allocation.relayedAddresses()) {
            relayed.add(r.advertised());
        }
    }

    void left(Allocation allocation) {
        clients.computeIfPresent(allocation.fiveTuple().client().getAddress(),
                (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        for (RelayedAddress r : allocation.relayedAddresses()) {
            relayed.remove(r.advertised());
        }
    }
}
