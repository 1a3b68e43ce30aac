package dev.turnbridge.relay.stun;

/**
 * A datagram that is not a well-formed STUN message. The reason is a fixed, low-cardinality phrase (usable
 * as a metrics tag); no stack trace is filled because malformed input is routine on a public port.
 */
public final class StunParseException extends Exception {
    private static final long serialVersionUID = 1L;

    public StunParseException(String reason) {
        super(reason, null, false, false);
    }
}
