package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;

/**
 * A channel binding (RFC 8656 §12): a channel number bound to a peer transport address. After it expires it
 * is kept for a further quarantine (5 min) during which neither the number nor the peer may be rebound to
 * something else (RFC 8656 §12), only refreshed as they were.
 */
public final class ChannelBinding {
    /** How long an expired binding keeps its number and peer from being reused (RFC 8656 §12). */
    public static final long QUARANTINE_MILLIS = 300_000;

    private final int number;
    private final InetSocketAddress peer;
    private long expiresAtMillis;

    ChannelBinding(int number, InetSocketAddress peer, long expiresAtMillis) {
        this.number = number;
        this.peer = peer;
        this.expiresAtMillis = expiresAtMillis;
    }

    public int number() {
        return number;
    }

    public InetSocketAddress peer() {
        return peer;
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    void refresh(long expiresAtMillis) {
        this.expiresAtMillis = expiresAtMillis;
    }

    public boolean isLive(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    boolean isQuarantineOver(long nowMillis) {
        return nowMillis >= expiresAtMillis + QUARANTINE_MILLIS;
    }
}
