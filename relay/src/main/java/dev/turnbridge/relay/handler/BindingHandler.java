package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;

/**
 * Binding (RFC 8489 §7.3.1): answers with the client's reflexive address in XOR-MAPPED-ADDRESS. No
 * authentication: browsers send Binding to the TURN port even in relay-only mode and expect an answer.
 */
final class BindingHandler {
    void handle(StunMessage request, Exchange exchange) {
        exchange.respond(StunMessageBuilder.success(request).xorMappedAddress(exchange.fiveTuple().client()), null);
    }
}
