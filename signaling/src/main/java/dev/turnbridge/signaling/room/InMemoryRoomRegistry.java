package dev.turnbridge.signaling.room;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rooms of one process, in a map behind one lock (a handful of operations per call setup). The codes of
 * expired rooms stay reserved for {@code reservation} after their expiry, at most {@code maxRooms} of them
 * (the oldest are released first when more expire), so the memory they take is bounded like the rooms'.
 * Live rooms are also kept in expiry order, so the sweep that runs every few hundred milliseconds touches only
 * the rooms that are due, not all of them (a scan of 5000 rooms was 6 % of the server's CPU in
 * docs/bench-signaling.md).
 */
public final class InMemoryRoomRegistry implements RoomRegistry {

    private final SecureRandom random;
    private final int maxRooms;
    private final Duration reservation;
    /** Changed under this registry's lock; read without it by {@link #find} (rooms are immutable values). */
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    /** Codes of expired rooms -> when they expired, oldest first. */
    private final LinkedHashMap<String, Instant> retired = new LinkedHashMap<>();
    /** Every live room once, soonest expiry first: {@link #rooms} and this change together. */
    private final TreeSet<Deadline> deadlines = new TreeSet<>();

    private record Deadline(Instant expiresAt, String code) implements Comparable<Deadline> {
        @Override
        public int compareTo(Deadline o) {
            int c = expiresAt.compareTo(o.expiresAt);
            return c != 0 ? c : code.compareTo(o.code);
        }
    }

    /** A registry that reserves no code after its room expired. */
    public InMemoryRoomRegistry(SecureRandom random, int maxRooms) {
        this(random, maxRooms, Duration.ZERO);
    }

    public InMemoryRoomRegistry(SecureRandom random, int maxRooms, Duration reservation) {
        this.random = random;
        this.maxRooms = maxRooms;
        this.reservation = reservation;
    }

    @Override
    public synchronized CreateResult create(int capacity, Duration ttl, Instant now, String creator,
                                            Room.Visibility visibility, int perCreator) {
        if (rooms.size() >= maxRooms) {
            return new CreateResult.ServerFull();
        }
        // A linear count: rooms-per-user is checked a few times per call setup, max-rooms is thousands.
        if (creator != null && rooms.values().stream()
                .filter(r -> creator.equals(r.creator()) && !r.isExpired(now)).count() >= perCreator) {
            return new CreateResult.CreatorLimit(perCreator);
        }
        String code;
        do {
            code = RoomCode.generate(random);
        } while (rooms.containsKey(code) || retired.containsKey(code));
        Room room = new Room(code, capacity, now, now.plus(ttl), List.of(), creator, visibility);
        rooms.put(code, room);
        deadlines.add(new Deadline(room.expiresAt(), code));
        return new CreateResult.Created(room);
    }

    /** Lock-free: every signal looks its room up, from every event loop. */
    @Override
    public Optional<Room> find(String code) {
        return Optional.ofNullable(rooms.get(code));
    }

    @Override
    public synchronized JoinResult join(String code, Member member, Instant now) {
        Room room = rooms.get(code);
        if (room == null) {
            return new JoinResult.NotFound();
        }
        if (room.isExpired(now)) {
            return new JoinResult.Expired(room);
        }
        if (room.members().size() >= room.capacity()) {
            return new JoinResult.Full(room);
        }
        List<Member> members = new ArrayList<>(room.members());
        members.add(member);
        Room joined = room.withMembers(members);
        rooms.put(code, joined);
        return new JoinResult.Joined(joined);
    }

    @Override
    public synchronized boolean leave(String code, String peerId) {
        Room room = rooms.get(code);
        if (room == null) {
            return false;
        }
        List<Member> members = new ArrayList<>(room.members());
        if (!members.removeIf(m -> m.peerId().equals(peerId))) {
            return false;
        }
        rooms.put(code, room.withMembers(members));
        return true;
    }

    @Override
    public synchronized boolean isRetired(String code) {
        return retired.containsKey(code);
    }

    @Override
    public synchronized List<Room> removeExpired(Instant now) {
        List<Room> expired = new ArrayList<>();
        while (!deadlines.isEmpty() && !now.isBefore(deadlines.first().expiresAt())) {
            Room room = rooms.remove(deadlines.pollFirst().code());
            expired.add(room);
            if (!reservation.isZero() && !reservation.isNegative()) {
                retired.put(room.code(), room.expiresAt());
            }
        }
        for (Iterator<Instant> it = retired.values().iterator(); it.hasNext(); ) {
            Instant expiredAt = it.next();
            if (retired.size() > maxRooms || !now.isBefore(expiredAt.plus(reservation))) {
                it.remove();
            }
        }
        return expired;
    }

    @Override
    public synchronized Optional<Room> remove(String code) {
        Room room = rooms.remove(code);
        if (room != null) {
            deadlines.remove(new Deadline(room.expiresAt(), code));
        }
        return Optional.ofNullable(room);
    }

    @Override
    public synchronized List<Room> list() {
        return List.copyOf(rooms.values());
    }

    @Override
    public synchronized int size() {
        return rooms.size();
    }
}
