package dev.turnbridge.relay.allocation;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link RoomShare} of every room with a live allocation, across event loops. A share is made by the
 * first allocation of its room and dropped with the last, so the map holds live rooms only. Touched on
 * Allocate and allocation end; the data path holds its allocation's share directly.
 */
public final class RoomShares {
    private final ConcurrentHashMap<String, RoomShare> rooms = new ConcurrentHashMap<>();
    private final long bytesPerSecond;
    private final long burst;

    /** @param bytesPerSecond each room's relayed-bandwidth budget, 0 for none; {@code burst} above it */
    public RoomShares(long bytesPerSecond, long burst) {
        this.bytesPerSecond = bytesPerSecond;
        this.burst = burst;
    }

    /** The share of {@code room}, counting one more allocation in it. */
    public RoomShare open(String room) {
        return rooms.compute(room, (r, s) -> {
            RoomShare share = s == null ? new RoomShare(r, bytesPerSecond, burst) : s;
            share.allocations++;
            return share;
        });
    }

    /** One allocation opened with {@link #open} did not come to be, or ended before it was installed. */
    public void close(RoomShare share) {
        rooms.computeIfPresent(share.room(), (r, s) -> s == share && --s.allocations <= 0 ? null : s);
    }

    /** {@code allocation} of this share's room is installed: its addresses now count as the room's. */
    public void joined(RoomShare share, Allocation allocation) {
        share.joined(allocation);
    }

    /** {@code allocation} ended: its addresses leave the room's, and the share goes with the last one. */
    public void left(RoomShare share, Allocation allocation) {
        share.left(allocation);
        close(share);
    }

    /** The share of a room with live allocations, or null. */
    public RoomShare get(String room) {
        return rooms.get(room);
    }

    public int size() {
        return rooms.size();
    }

    /** The {@code n} rooms that relayed most, most first (status page). */
    public List<RoomShare> top(int n) {
        return rooms.values().stream()
                .sorted(Comparator.comparingLong(RoomShare::relayedBytes).reversed())
                .limit(n)
                .toList();
    }
}
