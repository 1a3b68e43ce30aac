package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.stun.ErrorCode;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The checks every way of naming a peer shares (CreatePermission, ChannelBind, Send): the peer's family must
 * match the relayed address (443, RFC 8656 §9.1) and the peer must be permitted (403, see
 * {@link RelayContext#peerPermitted}).
 */
final class PeerChecks {
    private PeerChecks() {
    }

    /** Null when the peer may be used, else the error to answer with. */
    static ErrorCode check(Allocation allocation, InetSocketAddress peer, RelayContext context) {
        boolean relayV4 = allocation.relayedAddress().getAddress() instanceof Inet4Address;
        boolean peerV4 = peer.getAddress() instanceof Inet4Address;
        if (relayV4 != peerV4) {
            return ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH;
        }
        PeerPolicy.Verdict verdict = context.peerVerdict(peer);
        if (!verdict.isPermitted()) {
            context.stats().peerRefused(verdict.reason());
            return ErrorCode.FORBIDDEN;
        }
        return null;
    }
}
