package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;

/**
 * ConnectionBind (RFC 6062 §5.4): arrives on a new TCP or TLS connection from the client, authenticated like any
 * request (its own 401 and NONCE), and names a peer data connection by CONNECTION-ID. A connection that is not
 * TCP or TLS, or already holds an allocation, or a missing, unknown, expired or already bound CONNECTION-ID, or
 * one of another user's allocation, is a 400. On success the connection becomes the client data connection:
 * after the success response, bytes pass unframed both ways.
 */
final class ConnectionBindHandler implements RequestHandler {
    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        StreamExchange stream = exchange.stream();
        long id = request.connectionId();
        boolean bound = stream != null && id >= 0 && exchange.allocations().size() == 0
                && !exchange.allocations().isPending(exchange.fiveTuple().client())
                && stream.becomeDataConnection(id, identity.username(), StunMessageBuilder.success(request),
                        identity.key());
        if (!bound) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
        }
    }
}
