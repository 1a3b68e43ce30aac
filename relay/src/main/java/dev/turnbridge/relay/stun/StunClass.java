package dev.turnbridge.relay.stun;

/** The two class bits of a STUN message type (RFC 8489 §5). */
public enum StunClass {
    REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE;

    static StunClass ofType(int type) {
        return values()[((type >> 7) & 0x2) | ((type >> 4) & 0x1)];
    }

    int bits() {
        return ordinal();
    }
}
