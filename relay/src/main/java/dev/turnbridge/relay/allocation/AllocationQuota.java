package dev.turnbridge.relay.allocation;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts live allocations across all event loops, per user, room member, room and client address and in total
 * (RFC 8656 §7.2: 486 Allocation Quota Reached). The keys are who holds the credential, never the whole REST
 * username, so a fresh credential (a new expiry) cannot raise a quota. Touched on Allocate and on allocation
 * end only.
 */
public final class AllocationQuota {
    private final int perUser;
    private final int perMember;
    private final int perRoom;
    private final int perAddress;
    private final int total;
    private final ConcurrentHashMap<String, AtomicInteger> byUser = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> byMember = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> byRoom = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> byAddress = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();

    /** Per user and in total only (every other limit unbounded). */
    public AllocationQuota(int perUser, int total) {
        this(perUser, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, total);
    }

    public AllocationQuota(int perUser, int perMember, int perRoom, int perAddress, int total) {
        this.perUser = perUser;
        this.perMember = perMember;
        this.perRoom = perRoom;
        this.perAddress = perAddress;
        this.total = total;
    }

    /** Which limit refused a claim (a metric tag). */
    public enum Limit {
        TOTAL, USER, MEMBER, ROOM, ADDRESS;

        private final String tag = name().toLowerCase(java.util.Locale.ROOT);

        public String tag() {
            return tag;
        }
    }

    /**
     * What one allocation holds against the quotas; {@code member} and {@code room} are null outside rooms,
     * {@code address} null when not counted.
     */
    public record Claim(String user, String member, String room, InetAddress address) {
    }

    /** Claims one allocation; returns null when claimed, else the limit reached (nothing claimed then). */
    public Limit tryAcquire(Claim claim) {
        if (live.incrementAndGet() > total) {
            live.decrementAndGet();
            return Limit.TOTAL;
        }
        Limit refused = null;
        if (!acquire(byUser, claim.user(), perUser)) {
            refused = Limit.USER;
        } else if (!acquire(byMember, claim.member(), perMember)) {
            release(byUser, claim.user());
            refused = Limit.MEMBER;
        } else if (!acquire(byRoom, claim.room(), perRoom)) {
            release(byUser, claim.user());
            release(byMember, claim.member());
            refused = Limit.ROOM;
        } else if (!acquire(byAddress, claim.address(), perAddress)) {
            release(byUser, claim.user());
            release(byMember, claim.member());
            release(byRoom, claim.room());
            refused = Limit.ADDRESS;
        }
        if (refused != null) {
            live.decrementAndGet();
        }
        return refused;
    }

    /** Claims one allocation for a user outside any room, uncounted by address; false when a limit is reached. */
    public boolean tryAcquire(String user) {
        return tryAcquire(new Claim(user, null, null, null)) == null;
    }

    /** Gives back what {@code claim} took; a claim holding nothing is ignored. */
    public void release(Claim claim) {
        if (release(byUser, claim.user())) {
            release(byMember, claim.member());
            release(byRoom, claim.room());
            release(byAddress, claim.address());
            live.decrementAndGet();
        }
    }

    public void release(String user) {
        release(new Claim(user, null, null, null));
    }

    private static <K> boolean acquire(ConcurrentHashMap<K, AtomicInteger> counts, K key, int limit) {
        if (key == null) {
            return true;
        }
        boolean[] ok = {false};
        counts.compute(key, (k, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            if (count.get() < limit) {
                count.incrementAndGet();
                ok[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        return ok[0];
    }

    private static <K> boolean release(ConcurrentHashMap<K, AtomicInteger> counts, K key) {
        if (key == null) {
            return false;
        }
        boolean[] held = {false};
        counts.computeIfPresent(key, (k, n) -> {
            held[0] = true;
            return n.decrementAndGet() <= 0 ? null : n;
        });
        return held[0];
    }

    public int live() {
        return live.get();
    }

    /** Users, members, rooms and addresses with a live allocation (for tests: the maps stay bounded). */
    public int keys() {
        return byUser.size() + byMember.size() + byRoom.size() + byAddress.size();
    }
}
