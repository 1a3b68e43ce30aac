package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The allocations of one server socket, keyed by client address (the rest of the 5-tuple is fixed for that
 * socket). Owned by a single event loop: lookups on the data path take no lock. Expired allocations are
 * invisible to {@link #get} at once and removed by {@link #expire}.
 */
public final class AllocationTable {
    private final Map<InetSocketAddress, Allocation> byClient = new HashMap<>();
    private final Set<InetSocketAddress> pending = new HashSet<>();
    private final Consumer<Allocation> onRemoved;

    /** @param onRemoved called once for every allocation that leaves the table (expiry, deletion, close) */
    public AllocationTable(Consumer<Allocation> onRemoved) {
        this.onRemoved = onRemoved;
    }

    /** The live allocation for a client, or null; an expired one is removed on the spot. */
    public Allocation get(InetSocketAddress client, long nowMillis) {
        Allocation a = byClient.get(client);
        if (a != null && !a.isLive(nowMillis)) {
            remove(client);
            return null;
        }
        return a;
    }

    /** Adds an allocation; one it replaces (never expected) is ended properly rather than leaked. */
    public void put(Allocation allocation) {
        Allocation replaced = byClient.put(allocation.fiveTuple().client(), allocation);
        if (replaced != null && replaced != allocation) {
            onRemoved.accept(replaced);
        }
    }

    /** Removes and ends the allocation of {@code client}, if any. */
    public void remove(InetSocketAddress client) {
        Allocation a = byClient.remove(client);
        if (a != null) {
            onRemoved.accept(a);
        }
    }

    /** Marks a client whose Allocate is waiting for its relay socket, so retransmissions are not re-run. */
    public boolean markPending(InetSocketAddress client) {
        return pending.add(client);
    }

    public boolean isPending(InetSocketAddress client) {
        return pending.contains(client);
    }

    public void clearPending(InetSocketAddress client) {
        pending.remove(client);
    }

    /** Ends expired allocations and prunes permissions and channels of the others. */
    public void expire(long nowMillis) {
        Iterator<Allocation> it = byClient.values().iterator();
        List<Allocation> ended = null;
        while (it.hasNext()) {
            Allocation a = it.next();
            if (!a.isLive(nowMillis)) {
                it.remove();
                if (ended == null) {
                    ended = new ArrayList<>();
                }
                ended.add(a);
            } else {
                a.expire(nowMillis);
            }
        }
        if (ended != null) {
            ended.forEach(onRemoved);
        }
    }

    /** Ends every allocation (server shutdown). */
    public void clear() {
        List<Allocation> all = new ArrayList<>(byClient.values());
        byClient.clear();
        all.forEach(onRemoved);
    }

    public int size() {
        return byClient.size();
    }
}
