package dev.turnbridge.signaling.room;

/** What happened to a join attempt: a value, so callers map each case to a protocol error in one place. */
public sealed interface JoinResult {

    /** Joined; {@code room} includes the new member. */
    record Joined(Room room) implements JoinResult {
    }

    record NotFound() implements JoinResult {
    }

    record Full(Room room) implements JoinResult {
    }

    record Expired(Room room) implements JoinResult {
    }
}
