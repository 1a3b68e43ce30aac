package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;

/**
 * A point-in-time view of one allocation for operators (the admin API and status page): no keys, no
 * transaction IDs, nothing that can be used to act on it. Taken on the allocation's event loop.
 *
 * @param username        the credential's username (for REST credentials {@code <expiry>:<id>})
 * @param transport       client transport of the 5-tuple
 * @param client          client's address as the server sees it
 * @param server          server address the client reached
 * @param relayed         relayed transport address advertised to the client
 * @param createdAtMillis when the Allocate succeeded
 * @param expiresAtMillis when it ends unless refreshed
 * @param permissions     permission entries (peer IPs)
 * @param channels        channel bindings (including those in quarantine)
 * @param bytesToPeer     payload bytes relayed from the client to peers
 * @param bytesToClient   payload bytes relayed from peers to the client
 */
public record AllocationInfo(
        String username,
        FiveTuple.Transport transport,
        InetSocketAddress client,
        InetSocketAddress server,
        InetSocketAddress relayed,
        long createdAtMillis,
        long expiresAtMillis,
        int permissions,
        int channels,
        long bytesToPeer,
        long bytesToClient) {

    /** {@code ipv4} or {@code ipv6}: the relayed address family. */
    public String family() {
        return relayed.getAddress() instanceof java.net.Inet4Address ? "ipv4" : "ipv6";
    }
}
