package dev.turnbridge.signaling.room;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Rooms and their membership. The in-memory implementation serves one process; a clustered one can take its
 * place later without the WebSocket layer noticing, so nothing here refers to sockets or peers' connections.
 * Implementations are thread-safe.
 */
public interface RoomRegistry {

    /** Creates a public room without a creator, or returns empty when the registry is full. */
    default Optional<Room> create(int capacity, Duration ttl, Instant now) {
        return create(capacity, ttl, now, null, Room.Visibility.PUBLIC, Integer.MAX_VALUE) instanceof
                CreateResult.Created created ? Optional.of(created.room()) : Optional.empty();
    }

    /**
     * Creates a room with a fresh random code, unless the registry is full or {@code creator} (when not null)
     * already holds {@code perCreator} live rooms. Counting and adding happen atomically.
     */
    CreateResult create(int capacity, Duration ttl, Instant now, String creator, Room.Visibility visibility,
                        int perCreator);

    /** The room with this (normalized) code, expired or not. */
    Optional<Room> find(String code);

    /** Adds a member unless the room is missing, expired or full. */
    JoinResult join(String code, Member member, Instant now);

    /** Removes a member; returns false when it was not in the room. */
    boolean leave(String code, String peerId);

    /**
     * Whether {@code code} belonged to a room that expired and was removed, and is still reserved: it is not
     * given to a new room, so a link to the old one keeps saying "expired" rather than "not found" or, worse,
     * leading into a stranger's room.
     */
    boolean isRetired(String code);

    /** Removes every room whose expiry has passed and returns them with the members they had. */
    List<Room> removeExpired(Instant now);

    /** Removes a room at once (an operator closed it) and returns it with the members it had. */
    Optional<Room> remove(String code);

    /** A snapshot of every room, expired ones not yet removed included. */
    List<Room> list();

    /** Live rooms. */
    int size();
}
