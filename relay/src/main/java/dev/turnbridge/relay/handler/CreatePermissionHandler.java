package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * CreatePermission (RFC 8656 §10): installs or refreshes a permission for every XOR-PEER-ADDRESS in the
 * request; all or nothing, so one forbidden peer refuses the whole request.
 */
final class CreatePermissionHandler implements RequestHandler {
    private final Clock clock;
    private final PeerChecks peerChecks;
    private final int maxPermissions;
    private final long permissionMillis;

    /**
     * @param maxPermissions   {@code quotas.permissions-per-allocation}
     * @param permission       {@code lifetimes.permission} (RFC 8656 §9: 300 s)
     */
    CreatePermissionHandler(Clock clock, PeerChecks peerChecks, int maxPermissions, Duration permission) {
        this.clock = clock;
        this.peerChecks = peerChecks;
        this.maxPermissions = maxPermissions;
        this.permissionMillis = permission.toMillis();
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        long now = clock.millis();
        Allocation allocation = OwnedAllocation.find(request, exchange, identity, now);
        if (allocation == null) {
            return;
        }
        List<InetSocketAddress> peers = request.peerAddresses();
        if (peers.isEmpty()) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
            return;
        }
        for (InetSocketAddress peer : peers) {
            ErrorCode refused = peerChecks.check(allocation, peer, false);
            if (refused != null) {
                exchange.respond(StunMessageBuilder.error(request, refused), identity.key());
                return;
            }
        }
        int max = maxPermissions;
        long newPermissions = peers.stream().map(InetSocketAddress::getAddress).distinct()
                .filter(ip -> !allocation.hasPermission(ip)).count();
        if (allocation.permissionCount() + newPermissions > max) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.INSUFFICIENT_CAPACITY), identity.key());
            return;
        }
        long expires = now + permissionMillis;
        for (InetSocketAddress peer : peers) {
            allocation.installPermission(peer.getAddress(), expires, max);
        }
        exchange.respond(StunMessageBuilder.success(request), identity.key());
    }
}
