package dev.turnbridge.signaling.message;

/** A value or a protocol error, for operations the HTTP API maps to a status and an error body. */
public record Outcome<T>(T value, ErrorCode error, String message) {

    public static <T> Outcome<T> ok(T value) {
        return new Outcome<>(value, null, null);
    }

    public static <T> Outcome<T> fail(ErrorCode error, String message) {
        return new Outcome<>(null, error, message);
    }

    public boolean isOk() {
        return error == null;
    }
}
