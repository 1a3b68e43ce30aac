package dev.turnbridge.signaling.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.message.ServerMessages;

/** An HTTP API answer before it meets Netty: a status and a JSON body. */
public record ApiResponse(int status, ObjectNode body) {

    public static ApiResponse ok(int status, ObjectNode body) {
        return new ApiResponse(status, body);
    }

    /** The error body has the same shape as the WebSocket error message (without a ref). */
    public static ApiResponse error(ErrorCode code, String message) {
        return new ApiResponse(code.httpStatus(), ServerMessages.errorNode(code, message, null));
    }
}
