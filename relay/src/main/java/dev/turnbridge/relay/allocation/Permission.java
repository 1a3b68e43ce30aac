package dev.turnbridge.relay.allocation;

import java.net.InetAddress;

/**
 * A permission (RFC 8656 §9): the peer IP address (port ignored) with which an allocation may exchange
 * data, until it expires. Mutated only on the allocation's event loop.
 */
public final class Permission {
    private final InetAddress peer;
    private long expiresAtMillis;

    Permission(InetAddress peer, long expiresAtMillis) {
        this.peer = peer;
        this.expiresAtMillis = expiresAtMillis;
    }

    public InetAddress peer() {
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
}
