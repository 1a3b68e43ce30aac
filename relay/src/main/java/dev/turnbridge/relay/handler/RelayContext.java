package dev.turnbridge.relay.handler;

import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.allocation.RoomDirectory;
import dev.turnbridge.relay.allocation.RoomShare;
import dev.turnbridge.relay.allocation.RoomShares;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.Nonces;
import dev.turnbridge.relay.auth.Revocations;
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
 * policy, quotas, the relay port pool, counters, the drain gate, revoked rooms and members, the rooms with
 * live allocations and what signaling knows of them. Immutable itself; everything it holds is thread-safe.
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
        AllocationGate gate,
        Revocations revocations,
        RoomShares rooms,
        RoomDirectory directory) {

    /**
     * Without a drain gate of its own (one is made from {@code settings.drain()}), no revocations, room shares
     * with the configured budget, and no signaling.
     */
    public RelayContext(Settings settings, Clock clock, CredentialStore credentials, Nonces nonces,
            PeerPolicy peerPolicy, AllocationQuota quota, RelayPortPool ports, RelayStats stats,
            Set<InetAddress> ownAddresses) {
        this(settings, clock, credentials, nonces, peerPolicy, quota, ports, stats, ownAddresses,
                new AllocationGate(settings.drain()), new Revocations(), roomShares(settings), RoomDirectory.NONE);
    }

    public static RelayContext create(Settings settings, Clock clock) {
        return create(settings, clock, RoomDirectory.NONE);
    }

    /** @param directory what signaling knows of room members (user ids, signaling addresses) */
    public static RelayContext create(Settings settings, Clock clock, RoomDirectory directory) {
        var quotas = settings.quotas();
        return new RelayContext(
                settings,
                clock,
                new CredentialStore(settings.auth(), settings.realm(), clock),
                new Nonces(settings.lifetimes().nonce(), clock),
                PeerPolicy.from(settings.peers()),
                new AllocationQuota(quotas.allocationsPerUser(), quotas.allocationsPerMember(),
                        quotas.allocationsPerRoom(), quotas.allocationsPerAddress(), quotas.allocationsTotal()),
                new RelayPortPool(settings.relay().portMin(), settings.relay().portMax(), clock),
                new RelayStats(),
                ownAddresses(settings),
                new AllocationGate(settings.drain()),
                new Revocations(),
                roomShares(settings),
                directory);
    }

    private static RoomShares roomShares(Settings settings) {
        return new RoomShares(settings.quotas().roomBandwidth(), settings.quotas().roomBurst());
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

    /**
     * As {@link #peerVerdict} for a TCP peer (RFC 6062 Connect, and connections accepted on a TCP relayed
     * address): the exception for this server's own endpoints covers its TCP relayed addresses only, for
     * whatever listens on a UDP relay port's number in TCP is not ours.
     */
    public PeerPolicy.Verdict tcpPeerVerdict(InetSocketAddress peer, PeerConnections<?> connections) {
        PeerPolicy.Verdict verdict = peerPolicy.check(peer.getAddress());
        if (verdict.isPermitted()
                || (ownAddresses.contains(peer.getAddress()) && connections.isTcpRelayPort(peer.getPort()))) {
            return PeerPolicy.Verdict.PERMITTED;
        }
        return verdict;
    }

    /**
     * With {@code peers.room-members-only}: whether the allocation may name {@code peer}. Only addresses of
     * its own room pass: a member's relayed address (exactly, when a port is named, since every relayed
     * address shares the server's IP; by IP for CreatePermission, {@code port} < 0), a member's TURN client
     * address, or the source address of a member's signaling connection. An allocation outside any room may
     * name no peer. Always true when the setting is off.
     */
    public boolean roomPermits(RoomShare room, InetAddress ip, int port) {
        if (!settings.peers().roomMembersOnly()) {
            return true;
        }
        if (room == null) {
            return false;
        }
        if (port >= 0 && room.hasRelayedAddress(new InetSocketAddress(ip, port))) {
            return true;
        }
        if (port < 0 ? room.hasMemberAddress(ip) : room.hasClientAddress(ip)) {
            return true;
        }
        return directory.signalingAddresses(room.room()).contains(ip);
    }

    /**
     * The per-datagram part of strict peers, for Send indications: the permission already limits the peer's
     * IP to the room's, but every relayed address shares this server's IP, so a peer on one of our own
     * addresses must be exactly a relayed address of the room. Lookups only, no allocation, no signaling.
     */
    public boolean roomPermitsData(RoomShare room, InetSocketAddress peer) {
        return !settings.peers().roomMembersOnly() || !ownAddresses.contains(peer.getAddress())
                || (room != null && room.hasRelayedAddress(peer));
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
