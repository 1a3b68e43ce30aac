package dev.turnbridge.signaling.realtime;

/**
 * A frame that is not a Phoenix message we accept. When the frame was readable enough to name its topic and
 * ref, the client gets a {@code phx_reply} error for them; otherwise it is dropped.
 */
public final class BadFrame extends Exception {

    private final transient PhoenixMessage partial;

    public BadFrame(String reason, PhoenixMessage partial) {
        super(reason, null, false, false);
        this.partial = partial;
    }

    public BadFrame(String reason) {
        this(reason, null);
    }

    /** The message as far as it could be read (topic and refs), or null. */
    public PhoenixMessage partial() {
        return partial;
    }
}
