package dev.turnbridge.signaling.room;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One member of a room as others see it in presence: its peer id and the display metadata it joined with.
 * The metadata is a private copy, never mutated after construction. {@code user_id} in it is always the
 * verified user id (or absent): a client cannot claim one in its meta.
 *
 * @param peerId the member's id in the room
 * @param meta   display metadata, shown in presence
 * @param userId the verified user id ({@code sub} of the token it joined with), or null (open mode)
 */
public record Member(String peerId, ObjectNode meta, String userId) {

    /** The presence key of the verified user id. */
    public static final String USER_ID = "user_id";

    public Member {
        meta = meta.deepCopy();
        meta.remove(USER_ID);
        if (userId != null) {
            meta.put(USER_ID, userId);
        }
    }

    /** A member without a verified user id. */
    public Member(String peerId, ObjectNode meta) {
        this(peerId, meta, null);
    }
}
