package dev.turnbridge.relay.allocation;

import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's RFC 6062 state that crosses event loops. A ConnectionBind arrives on a new client connection,
 * which may live on any event loop, so peer data connections waiting for one are found here by CONNECTION-ID
 * (RFC 6062 §6.2: unpredictable 32-bit values, unique among the pending ones); and the ports of TCP relayed
 * addresses are known here, so that one allocation may Connect to another on this server even when the
 * server's own address is loopback or private (see {@code RelayContext#peerPermitted}). Thread-safe.
 *
 * @param <C> the transport's peer data connections, so that a claimed one needs no cast to be joined
 */
public final class PeerConnections<C extends PeerConnection> {
    /** RFC 6062 §5.2-5.3: connection establishment, and the wait for ConnectionBind, last at most 30 s. */
    public static final long TIMEOUT_MILLIS = 30_000;

    private final SecureRandom random = new SecureRandom();
    private final Map<Long, C> pending = new ConcurrentHashMap<>();
    private final Set<Integer> relayPorts = ConcurrentHashMap.newKeySet();

    /** Files a peer data connection under a fresh CONNECTION-ID and returns it. */
    public long register(C connection) {
        for (;;) {
            long id = random.nextInt() & 0xFFFFFFFFL;
            if (id != 0 && pending.putIfAbsent(id, connection) == null) {
                return id;
            }
        }
    }

    /**
     * Takes the peer data connection {@code id} names for a ConnectionBind of {@code username}; null when the id
     * is unknown, already bound, timed out or belongs to another user. At most one caller ever gets it.
     */
    public C claim(long id, String username) {
        C c = pending.get(id);
        if (c == null || !c.username().equals(username) || !pending.remove(id, c)) {
            return null;
        }
        return c;
    }

    /** Withdraws {@code connection} (timed out or closed); false when a ConnectionBind claimed it first. */
    public boolean withdraw(long id, C connection) {
        return pending.remove(id, connection);
    }

    /** Peer data connections waiting for a ConnectionBind. */
    public int pending() {
        return pending.size();
    }

    /** A TCP relayed address now listens on {@code port}. */
    public void listening(int port) {
        relayPorts.add(port);
    }

    /** The TCP relayed address on {@code port} closed. */
    public void closed(int port) {
        relayPorts.remove(port);
    }

    /** Whether {@code port} is the port of a TCP relayed address of this server. */
    public boolean isTcpRelayPort(int port) {
        return relayPorts.contains(port);
    }
}
