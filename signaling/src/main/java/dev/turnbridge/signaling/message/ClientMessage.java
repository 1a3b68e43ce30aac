package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Messages a client sends (protocol v1, see docs/signaling-protocol.md). {@code ref} is the client's
 * correlation value (string or number, echoed verbatim) or null.
 */
public sealed interface ClientMessage {

    JsonNode ref();

    /** Join a room; {@code self} echoes the member's own signals back, {@code ack} acknowledges each signal. */
    record Join(JsonNode ref, String room, ObjectNode meta, boolean self, boolean ack) implements ClientMessage {
    }

    /** Take over a peer (same id, same membership) after a dropped connection. */
    record Resume(JsonNode ref, String token) implements ClientMessage {
    }

    /** Relay {@code payload} to one member ({@code to}) or, when {@code to} is null, to all others. */
    record Signal(JsonNode ref, String to, JsonNode payload) implements ClientMessage {
    }

    record Leave(JsonNode ref) implements ClientMessage {
    }

    record Heartbeat(JsonNode ref) implements ClientMessage {
    }
}
