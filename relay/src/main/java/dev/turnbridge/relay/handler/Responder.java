package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.StunMessageBuilder;

/**
 * How every transport answers a request: encode with SOFTWARE and the integrity the request used, count it,
 * remember signed answers for retransmissions (RFC 8489 §6.3.1), and send; or, when the client's connection is
 * already gone, count the request as abandoned and send nothing. One per server socket or
 * connection; the transports differ only in {@link Exchange#resend}.
 */
public final class Responder {
    private final RelayContext context;
    private final String software;

    public Responder(RelayContext context) {
        this.context = context;
        this.software = context.settings().software();
    }

    public void respond(Exchange exchange, StunMessageBuilder response, byte[] integrityKey) {
        if (exchange.isClosed()) {
            // the client left before the answer (an Allocate still binding its relay socket): nothing is sent,
            // so nothing counts as a response; an operator alerting on 508 must not see this
            context.stats().abandoned(response.method());
            return;
        }
        byte[] encoded = response.encode(software, integrityKey);
        context.stats().responded(response.method(), response.errorCode());
        if (integrityKey != null) {
            exchange.transactions().put(exchange.fiveTuple().client(), encoded, context.now());
        }
        exchange.resend(encoded);
    }
}
