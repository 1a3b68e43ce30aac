package dev.turnbridge.signaling.message;

/**
 * Protocol errors, sent as {@code {"type":"error","code":...,"message":...,"ref":...}} over the socket and as
 * the body of HTTP API errors with the status given here.
 */
public enum ErrorCode {
    ROOM_NOT_FOUND("room_not_found", 404, "no such room"),
    ROOM_FULL("room_full", 409, "the room is full"),
    ROOM_EXPIRED("room_expired", 410, "the room has expired"),
    BAD_MESSAGE("bad_message", 400, "malformed message"),
    TOO_LARGE("too_large", 413, "message too large"),
    RATE_LIMITED("rate_limited", 429, "too many messages"),
    UNAUTHORIZED("unauthorized", 401, "not authorized"),
    /** A valid token that this room (or this action) does not admit. */
    FORBIDDEN("forbidden", 403, "not allowed in this room"),

    /** An operator removed the member from its room (admin API). */
    KICKED("kicked", 403, "removed from the room by the operator"),

    /** The shared room registry (Redis) cannot be reached just now; the client may try again shortly. */
    UNAVAILABLE("unavailable", 503, "rooms are unavailable just now; try again shortly");

    private final String wire;
    private final int httpStatus;
    private final String defaultMessage;

    ErrorCode(String wire, int httpStatus, String defaultMessage) {
        this.wire = wire;
        this.httpStatus = httpStatus;
        this.defaultMessage = defaultMessage;
    }

    /** The code as it appears on the wire. */
    public String wire() {
        return wire;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String defaultMessage() {
        return defaultMessage;
    }
}
