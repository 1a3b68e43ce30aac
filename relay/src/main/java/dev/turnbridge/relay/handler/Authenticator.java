package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.Nonces;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;

/**
 * The server side of the long-term credential mechanism (RFC 8489 §9.2.4): a request without
 * MESSAGE-INTEGRITY gets 401 with REALM and NONCE; one missing USERNAME, REALM or NONCE gets 400; a stale or
 * foreign nonce 438; an unknown user, foreign realm or wrong MAC 401. A wrong password and an unknown user
 * cost the same work and get the same answer.
 */
final class Authenticator {
    private final RelayContext context;

    Authenticator(RelayContext context) {
        this.context = context;
    }

    /** Either the identity that signed the request, or the error response to send (unsigned). */
    record Outcome(String username, byte[] key, boolean credentialExpired, StunMessageBuilder rejection) {
        boolean accepted() {
            return rejection == null;
        }
    }

    Outcome authenticate(StunMessage request, InetAddress client) {
        CredentialStore credentials = context.credentials();
        if (!request.hasIntegrity()) {
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        String username = request.username();
        String realm = request.realm();
        String nonce = request.nonce();
        if (username == null || realm == null || nonce == null) {
            return reject(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST));
        }
        if (context.nonces().check(nonce, client) != Nonces.Validity.VALID) {
            return reject(challenge(request, ErrorCode.STALE_NONCE, client));
        }
        CredentialStore.Candidates candidates = credentials.keysFor(username);
        byte[] match = null;
        for (byte[] key : candidates.keys()) {
            // every key is tried, so timing does not tell which secret (if any) matched
            if (MessageIntegrity.verify(request, key) && match == null) {
                match = key;
            }
        }
        if (match == null || !candidates.known() || !realm.equals(credentials.realm())) {
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        return new Outcome(username, match, candidates.expired(), null);
    }

    StunMessageBuilder challenge(StunMessage request, ErrorCode code, InetAddress client) {
        return StunMessageBuilder.error(request, code)
                .realm(context.credentials().realm())
                .nonce(context.nonces().issue(client));
    }

    private static Outcome reject(StunMessageBuilder response) {
        return new Outcome(null, null, false, response);
    }
}
