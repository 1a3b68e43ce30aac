package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.databind.JsonNode;

/** The outcome of decoding one text message: a message or a protocol error to send back. */
public sealed interface Decoded {

    record Ok(ClientMessage message) implements Decoded {
    }

    record Bad(ErrorCode code, String message, JsonNode ref) implements Decoded {
    }
}
