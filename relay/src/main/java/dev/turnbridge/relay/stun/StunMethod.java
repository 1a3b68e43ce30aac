package dev.turnbridge.relay.stun;

/**
 * Method numbers (RFC 8489 §18.2, RFC 8656 §17, RFC 6062 §6.1) and the message-type bit layout. What the
 * server does with each, and its name, is {@code handler.TurnMethod}.
 */
public final class StunMethod {
    public static final int BINDING = 0x001;
    public static final int ALLOCATE = 0x003;
    public static final int REFRESH = 0x004;
    public static final int SEND = 0x006;
    public static final int DATA = 0x007;
    public static final int CREATE_PERMISSION = 0x008;
    public static final int CHANNEL_BIND = 0x009;
    public static final int CONNECT = 0x00A;
    public static final int CONNECTION_BIND = 0x00B;
    public static final int CONNECTION_ATTEMPT = 0x00C;

    private StunMethod() {
    }

    /** The 12-bit method interleaved in a 14-bit message type. */
    public static int ofType(int type) {
        return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
    }

    /** Builds a message type from a method and a class (RFC 8489 §5, figure 3). */
    public static int type(int method, StunClass cls) {
        int c = cls.bits();
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
                | ((c & 0x1) << 4) | ((c & 0x2) << 7);
    }
}
