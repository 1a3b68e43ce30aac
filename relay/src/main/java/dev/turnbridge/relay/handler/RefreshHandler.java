package dev.turnbridge.relay.handler;

import dev.turnbridge.config.LifetimeSettings;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.time.Clock;

/**
 * Refresh (RFC 8656 §8): extends the allocation's lifetime, or deletes it when LIFETIME is 0; a
 * REQUESTED-ADDRESS-FAMILY the allocation lacks is a 443. (Deleting one family of a dual allocation is not
 * supported: LIFETIME 0 deletes the whole allocation.)
 */
final class RefreshHandler implements RequestHandler {
    private final Clock clock;
    private final LifetimeSettings lifetimes;
    private final RelayStats stats;

    RefreshHandler(Clock clock, LifetimeSettings lifetimes, RelayStats stats) {
        this.clock = clock;
        this.lifetimes = lifetimes;
        this.stats = stats;
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        long now = clock.millis();
        Allocation allocation = OwnedAllocation.find(request, exchange, identity, now);
        if (allocation == null) {
            return;
        }
        int family = request.requestedAddressFamily();
        if (family >= 0 && !hasFamily(allocation, family)) {
            // RFC 8656 §8: a family the allocation does not have
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH), identity.key());
            return;
        }
        long requested = request.lifetime();
        if (requested == 0) {
            exchange.allocations().remove(allocation.fiveTuple().client());
            exchange.respond(StunMessageBuilder.success(request).lifetime(0), identity.key());
            return;
        }
        long granted = Lifetimes.grantSeconds(requested, lifetimes);
        allocation.refresh(now + granted * 1000);
        stats.refreshed(allocation);
        exchange.respond(StunMessageBuilder.success(request).lifetime(granted), identity.key());
    }

    private static boolean hasFamily(Allocation allocation, int family) {
        return allocation.relayedAddresses().stream().anyMatch(r -> r.isIpv4() ? family == 1 : family == 2);
    }
}
