package dev.turnbridge.signaling.room;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of one room: what the registry knows at the moment it was asked.
 *
 * @param code       the 8-character room code (upper case)
 * @param capacity   how many members the room admits at once
 * @param createdAt  when it was created
 * @param expiresAt  when it is removed and its members are told
 * @param members    members in join order
 * @param creator    the user id ({@code sub}) that created it, or null (open mode, or the app's backend)
 * @param visibility who may join: anyone with a valid token, or only its creator and tokens naming it
 */
public record Room(String code, int capacity, Instant createdAt, Instant expiresAt, List<Member> members,
                   String creator, Visibility visibility) {

    /** Who a room admits, besides its creator (access modes jwt and api-key; open admits everyone). */
    public enum Visibility {
        /** Any valid token. */
        PUBLIC,
        /** The creator, and tokens whose {@code room} claim names this room. */
        PRIVATE
    }

    public Room {
        members = List.copyOf(members);
    }

    /** A public room without a recorded creator. */
    public Room(String code, int capacity, Instant createdAt, Instant expiresAt, List<Member> members) {
        this(code, capacity, createdAt, expiresAt, members, null, Visibility.PUBLIC);
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expiresAt);
    }

    /** The same room with other members. */
    Room withMembers(List<Member> members) {
        return new Room(code, capacity, createdAt, expiresAt, members, creator, visibility);
    }

    /** The member with this peer id, if it is in the room. */
    public Optional<Member> member(String peerId) {
        return members.stream().filter(m -> m.peerId().equals(peerId)).findFirst();
    }
}
