package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Messages a client sends (protocol v1, see docs/signaling-protocol.md). {@code ref} is the client's
 * correlation value (string or number, echoed verbatim) or null. Sequence numbers ({@code seq}, {@code ack})
 * are null for clients that do not use exactly-once delivery.
 */
public sealed interface ClientMessage {

    JsonNode ref();

    /**
     * Join a room; {@code self} echoes the member's own signals back, {@code ack} acknowledges each signal,
     * {@code seq} numbers what the server delivers and keeps it until acknowledged. A {@code token} of a member
     * of this room (a reloaded page) takes that member's seat over instead of adding one.
     */
    record Join(JsonNode ref, String room, ObjectNode meta, boolean self, boolean ack, boolean seq, String token)
            implements ClientMessage {
        public Join(JsonNode ref, String room, ObjectNode meta, boolean self, boolean ack) {
            this(ref, room, meta, self, ack, false, null);
        }
    }

    /**
     * Take over a peer (same id, same membership) after a dropped connection; {@code seq} is the last
     * sequence number the client received, so everything after it is delivered again; {@code at} is the
     * inbox position of the last signal it received (with other nodes), so a move from a node that died
     * delivers what that node had not.
     */
    record Resume(JsonNode ref, String token, Long seq, String at) implements ClientMessage {
        public Resume(JsonNode ref, String token) {
            this(ref, token, null, null);
        }

        public Resume(JsonNode ref, String token, Long seq) {
            this(ref, token, seq, null);
        }
    }

    /**
     * Relay {@code payload} to one member ({@code to}) or, when {@code to} is null, to all others. {@code seq}
     * is the client's sequence number: one the server has already accepted is a resent duplicate.
     */
    record Signal(JsonNode ref, String to, JsonNode payload, Long seq) implements ClientMessage {
        public Signal(JsonNode ref, String to, JsonNode payload) {
            this(ref, to, payload, null);
        }
    }

    /** Everything the server sent up to and including {@code seq} has arrived; the server forgets it. */
    record Ack(JsonNode ref, long seq) implements ClientMessage {
    }

    /**
     * How one call's ICE connection ended up, reported once per call by each side: {@code call} names the call
     * (both sides derive the same value), {@code with} the other member.
     */
    record CallReport(JsonNode ref, String call, String with, boolean connected, long connectMillis,
                      String localType, String remoteType, String relayProtocol, boolean iceRestart)
            implements ClientMessage {
    }

    record Leave(JsonNode ref) implements ClientMessage {
    }

    record Heartbeat(JsonNode ref) implements ClientMessage {
    }
}
