package dev.turnbridge.signaling.room;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One member of a room as others see it in presence: its peer id and the display metadata it joined with.
 * The metadata is a private copy, never mutated after construction.
 */
public record Member(String peerId, ObjectNode meta) {
    public Member {
        meta = meta.deepCopy();
    }
}
