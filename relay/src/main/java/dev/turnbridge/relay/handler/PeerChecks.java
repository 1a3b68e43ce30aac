package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.stun.ErrorCode;
import java.net.InetSocketAddress;

/**
 * The checks every way of naming a peer shares (CreatePermission, ChannelBind, Send): the peer's family must
 * match one of the relayed addresses (443, RFC 8656 §9.1) and the peer must be permitted (403, see
 * {@link RelayContext#peerPermitted}), and with {@code peers.room-members-only} be an address of the
 * allocation's room (403, see {@link RelayContext#roomPermits}).
 */
final class PeerChecks {
    private final RelayContext context;

    PeerChecks(RelayContext context) {
        this.context = context;
    }

    /** Null when the peer may be used, else the error to answer with. */
    ErrorCode check(Allocation allocation, InetSocketAddress peer) {
        return check(allocation, peer, true);
    }

    /** @param withPort whether the peer's port counts (ChannelBind), or only its IP (CreatePermission) */
    ErrorCode check(Allocation allocation, InetSocketAddress peer, boolean withPort) {
        if (allocation.relaySocketFor(peer.getAddress()) == null) {
            return ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH;
        }
        PeerPolicy.Verdict verdict = context.peerVerdict(peer);
        if (!verdict.isPermitted()) {
            context.stats().peerRefused(verdict.reason());
            return ErrorCode.FORBIDDEN;
        }
        return inRoom(allocation, peer, withPort);
    }

    /**
     * Connect's check (RFC 6062 §5.2): the peer policy with the exception for this server's own TCP relayed
     * addresses (see {@link RelayContext#tcpPeerVerdict}), then strict peers. Null when allowed, else 403.
     */
    ErrorCode checkTcp(Allocation allocation, InetSocketAddress peer, PeerConnections<?> connections) {
        PeerPolicy.Verdict verdict = context.tcpPeerVerdict(peer, connections);
        if (!verdict.isPermitted()) {
            context.stats().peerRefused(verdict.reason());
            return ErrorCode.FORBIDDEN;
        }
        return inRoom(allocation, peer, true);
    }

    /** The strict-peers check alone: null when allowed, else 403. */
    ErrorCode inRoom(Allocation allocation, InetSocketAddress peer, boolean withPort) {
        if (!context.roomPermits(allocation.room(), peer.getAddress(), withPort ? peer.getPort() : -1)) {
            context.stats().peerRefused(PeerPolicy.RefusalReason.NOT_IN_ROOM);
            return ErrorCode.FORBIDDEN;
        }
        return null;
    }
}
