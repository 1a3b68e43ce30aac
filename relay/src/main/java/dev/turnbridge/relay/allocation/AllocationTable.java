package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The allocations of one server socket, keyed by client address (the rest of the 5-tuple is fixed for that
 * socket). Owned by a single event loop: lookups on the data path take no lock. Expired allocations are
 * invisible to {@link #get} at once and removed by {@link #expire}.
 */
public final class AllocationTable {
    private final Map<InetSocketAddress, Allocation> byClient = new HashMap<>();
    private final Set<InetSocketAddress> pending = new HashSet<>();
    private final BiConsumer<Allocation, AllocationListener.EndReason> onRemoved;
    private boolean closed;

    /** @param onRemoved called once for every allocation that leaves the table (expiry, deletion, close) */
    public AllocationTable(Consumer<Allocation> onRemoved) {
        this.onRemoved = (a, reason) -> onRemoved.accept(a);
    }

    private AllocationTable(BiConsumer<Allocation, AllocationListener.EndReason> onRemoved, Void unused) {
        this.onRemoved = onRemoved;
    }

    /**
     * A table that says why each allocation left (for the lifecycle listener); a factory rather than a
     * constructor so that {@code new AllocationTable(list::add)} stays unambiguous.
     *
     * @param onRemoved called once for every allocation that leaves the table, with the reason
     */
    public static AllocationTable withEndReasons(BiConsumer<Allocation, AllocationListener.EndReason> onRemoved) {
        return new AllocationTable(onRemoved, null);
    }

    /** The live allocation for a client, or null; an expired one is removed on the spot. */
    public Allocation get(InetSocketAddress client, long nowMillis) {
        Allocation a = byClient.get(client);
        if (a != null && !a.isLive(nowMillis)) {
            remove(client, AllocationListener.EndReason.EXPIRED);
            return null;
        }
        return a;
    }

    /**
     * Adds an allocation; one it replaces (never expected) is ended properly rather than leaked. After
     * {@link #clear} the table is closed and ends a new allocation at once instead.
     */
    public void put(Allocation allocation) {
        if (closed) {
            // its relay socket finished binding after the server socket or connection went away
            onRemoved.accept(allocation, AllocationListener.EndReason.SHUTDOWN);
            return;
        }
        Allocation replaced = byClient.put(allocation.fiveTuple().client(), allocation);
        if (replaced != null && replaced != allocation) {
            onRemoved.accept(replaced, AllocationListener.EndReason.SHUTDOWN);
        }
    }

    /** Removes and ends the allocation of {@code client}, if any, as the client asked (Refresh with 0). */
    public void remove(InetSocketAddress client) {
        remove(client, AllocationListener.EndReason.DELETED);
    }

    public void remove(InetSocketAddress client, AllocationListener.EndReason reason) {
        Allocation a = byClient.remove(client);
        if (a != null) {
            onRemoved.accept(a, reason);
        }
    }

    /** Ends every allocation that matches; returns how many ended. */
    public int removeIf(Predicate<Allocation> which, AllocationListener.EndReason reason) {
        List<Allocation> ended = new ArrayList<>();
        byClient.values().removeIf(a -> which.test(a) && ended.add(a));
        ended.forEach(a -> onRemoved.accept(a, reason));
        return ended.size();
    }

    /** The allocations in the table now, expired ones not yet swept included. */
    public List<Allocation> snapshot() {
        return List.copyOf(byClient.values());
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
            ended.forEach(a -> onRemoved.accept(a, AllocationListener.EndReason.EXPIRED));
        }
    }

    /** Ends every allocation and closes the table (server shutdown, connection closed). */
    public void clear() {
        clear(AllocationListener.EndReason.SHUTDOWN);
    }

    /** Ends every allocation for {@code reason} and closes the table. */
    public void clear(AllocationListener.EndReason reason) {
        closed = true;
        List<Allocation> all = new ArrayList<>(byClient.values());
        byClient.clear();
        all.forEach(a -> onRemoved.accept(a, reason));
    }

    public int size() {
        return byClient.size();
    }
}
