package dev.turnbridge.signaling.room;

/** What happened to a room creation: a value, mapped to a protocol error in one place. */
public sealed interface CreateResult {

    record Created(Room room) implements CreateResult {
    }

    /** {@code max-rooms} live rooms exist. */
    record ServerFull() implements CreateResult {
    }

    /** The creator already holds {@code rooms-per-user} live rooms. */
    record CreatorLimit(int limit) implements CreateResult {
    }
}
