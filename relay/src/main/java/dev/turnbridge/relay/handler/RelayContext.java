package dev.turnbridge.relay.handler;

import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.Nonces;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;

/**
 * What every request handler shares across event loops: settings, the clock, credentials, nonces, peer
 * policy, quotas, the relay port pool, counters and the drain gate. Immutable itself; the pool and quota are thread-safe.
 */
public record RelayContext(
        Settings settings,
        Clock clock,
        CredentialStore credentials,
        Nonces nonces,
        PeerPolicy peerPolicy,
        AllocationQuota quota,
        RelayPortPool ports,
        RelayStats stats,
        Set<InetAddress> ownAddresses,
        AllocationGate gate) {

    /** Without a drain gate of its own: one is made from {@code settings.drain()}. */
    public RelayContext(Settings settings, Clock clock, CredentialStore credentials, Nonces nonces,
            PeerPolicy peerPolicy, AllocationQuota quota, RelayPortPool ports, RelayStats stats,
            Set<InetAddress> ownAddresses) {
        this(settings, clock, credentials, nonces, peerPolicy, quota, ports, stats, ownAddresses,
                new AllocationGate(settings.drain()));
    }

    public static RelayContext create(Settings settings, Clock clock) {
        return new RelayContext(
                settings,
                clock,
                new CredentialStore(settings.auth(), settings.realm(), clock),
                new Nonces(settings.lifetimes().nonce(), clock),
                PeerPolicy.from(settings.peers()),
                new AllocationQuota(settings.quotas().allocationsPerUser(), settings.quotas().allocationsTotal()),
                new RelayPortPool(settings.relay().portMin(), settings.relay().portMax(), clock),
                new RelayStats(),
                ownAddresses(settings),
                new AllocationGate(settings.drain()));
    }

    /**
     * Whether the relay may exchange data with {@code peer}: the peer policy allows it, or it is one of this
     * server's own relayed transport addresses (an allocation talking to another allocation here, as two
     * relay-only browsers do). The second case matters when the server's address is itself private or
     * loopback, as in development; it reaches only a relay socket, never an internal service.
     */
    public boolean peerPermitted(InetSocketAddress peer) {
        return peerVerdict(peer).isPermitted();
    }

    /** As {@link #peerPermitted}, with the policy's reason when refused (for the refusal counters). */
    public PeerPolicy.Verdict peerVerdict(InetSocketAddress peer) {
        PeerPolicy.Verdict verdict = peerPolicy.check(peer.getAddress());
        if (verdict.isPermitted() || (ownAddresses.contains(peer.getAddress()) && ports.isInUse(peer.getPort()))) {
            return PeerPolicy.Verdict.PERMITTED;
        }
        return verdict;
    }

    private static Set<InetAddress> ownAddresses(Settings settings) {
        Set<InetAddress> own = new HashSet<>();
        try {
            for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                own.addAll(java.util.Collections.list(nic.getInetAddresses()));
            }
            String external = settings.relay().externalAddress();
            if (external != null && !external.isEmpty()) {
                own.add(InetAddress.getByName(external)); // validated IP literal: no lookup
            }
        } catch (SocketException | UnknownHostException e) {
            throw new IllegalStateException("cannot list local addresses", e);
        }
        return Set.copyOf(own);
    }

    public long now() {
        return clock.millis();
    }
}
