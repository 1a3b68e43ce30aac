package dev.turnbridge.signaling.room;

/** Redis could not be reached at start: the server stops with this one message instead of a stack of traces. */
public final class RedisUnavailableException extends RuntimeException {
    public RedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
