package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;

/**
 * The first checks of Refresh, CreatePermission and ChannelBind: the 5-tuple must have an allocation
 * (437 Allocation Mismatch) created by the same user (441 Wrong Credentials, RFC 8656 §5).
 */
final class OwnedAllocation {
    private OwnedAllocation() {
    }

    /** The caller's allocation, or null after answering with the error. */
    static Allocation find(StunMessage request, Exchange exchange, Authenticator.Outcome identity, long now) {
        Allocation a = exchange.allocations().get(exchange.fiveTuple().client(), now);
        if (a == null) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.ALLOCATION_MISMATCH), identity.key());
            return null;
        }
        if (!a.username().equals(identity.username())) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.WRONG_CREDENTIALS), identity.key());
            return null;
        }
        return a;
    }
}
