package dev.turnbridge.signaling.room;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one room: what the registry knows at the moment it was asked.
 *
 * @param code      the 8-character room code (upper case)
 * @param capacity  how many members the room admits at once
 * @param createdAt when it was created
 * @param expiresAt when it is removed and its members are told
 * @param members   members in join order
 */
public record Room(String code, int capacity, Instant createdAt, Instant expiresAt, List<Member> members) {
    public Room {
        members = List.copyOf(members);
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
