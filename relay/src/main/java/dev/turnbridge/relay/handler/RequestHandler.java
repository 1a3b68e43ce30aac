package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.StunMessage;

/** Handles one authenticated TURN request method (RFC 8656 §7-11). */
interface RequestHandler {
    void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity);
}
