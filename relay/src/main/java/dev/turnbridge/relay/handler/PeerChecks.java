package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.stun.ErrorCode;
import java.net.InetSocketAddress;

/**
 * The checks every way of naming a peer shares (CreatePermission, ChannelBind, Send): the peer's family must
 * match one of the relayed addresses (443, RFC 8656 §9.1) and the peer must be permitted (403, see
 * {@link RelayContext#peerPermitted}).
 */
final class PeerChecks {
    private PeerChecks() {
    }

    /** Null when the peer may be used, else the error to answer with. */
    static ErrorCode check(Allocation allocation, InetSocketAddress peer, RelayContext context) {
        if (allocation.relaySocketFor(peer.getAddress()) == null) {
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
