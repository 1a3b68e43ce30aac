package dev.turnbridge.relay.handler;

import dev.turnbridge.credentials.RoomCredential;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.NonceCookie;
import dev.turnbridge.relay.auth.Nonces;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.MessageIntegritySha256;
import dev.turnbridge.relay.stun.PasswordAlgorithm;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * The server side of the long-term credential mechanism (RFC 8489 §9.2.4), in its order: a request without
 * MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 gets 401 with REALM, NONCE and PASSWORD-ALGORITHMS; one
 * missing USERNAME (or USERHASH), REALM or NONCE gets 400; so does one whose PASSWORD-ALGORITHM and
 * PASSWORD-ALGORITHMS do not echo what the challenge offered (the bid-down check of §9.2.1); a stale or
 * foreign nonce gets 438; an unknown user, foreign realm or wrong MAC 401. A wrong password and an unknown
 * user cost the same work and get the same answer. A REST credential past its expiry, or one of a revoked room
 * or member, gets 401 too, on every method (as coturn does): checked after the MAC, so only the credential's
 * holder learns it, and after the nonce, so the 438 dance of RFC 8489 §9.2 comes first and the client then
 * sees the 401 that tells it to get fresh credentials.
 *
 * <p>RFC 5389 clients ignore the nonce cookie and PASSWORD-ALGORITHMS and sign with MESSAGE-INTEGRITY under
 * the MD5 key; a request with neither password-algorithm attribute is processed exactly that way.
 */
final class Authenticator {
    /** What 401 and 438 offer, in order of preference (RFC 8489 §14.11). */
    static final byte[] OFFERED_ALGORITHMS =
            PasswordAlgorithm.encodeList(PasswordAlgorithm.SHA256, PasswordAlgorithm.MD5);

    private final RelayContext context;

    Authenticator(RelayContext context) {
        this.context = context;
    }

    /**
     * Either the identity that signed the request, or the error response to send (unsigned). Responses to an
     * accepted request are signed with {@code key} and carry the integrity attributes the request carried
     * ({@link StunMessageBuilder#success} copies them), so handlers pass {@code key} along and need not know
     * which STUN revision the client speaks.
     *
     * @param passwordAlgorithm the {@link PasswordAlgorithm} {@code key} was derived with
     */
    record Outcome(String username, byte[] key, int passwordAlgorithm, RoomCredential holder,
            StunMessageBuilder rejection) {

        boolean accepted() {
            return rejection == null;
        }
    }

    Outcome authenticate(StunMessage request, InetAddress client) {
        CredentialStore credentials = context.credentials();
        if (!request.hasIntegrity() && !request.hasIntegritySha256()) {
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        String username = request.username();
        byte[] userhash = request.userhash();
        String realm = request.realm();
        String nonce = request.nonce();
        if ((username == null && userhash == null) || realm == null || nonce == null) {
            context.stats().authFailed(RelayStats.AuthFailure.BAD_REQUEST);
            return reject(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST));
        }
        int algorithm = passwordAlgorithm(request, nonce);
        if (algorithm < 0) {
            context.stats().authFailed(RelayStats.AuthFailure.BAD_REQUEST);
            return reject(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST));
        }
        if (request.hasIntegritySha256() && request.integritySha256Length() != MessageIntegritySha256.LENGTH) {
            // §14.6: truncation only where the usage allows it, and TURN (RFC 8656) does not
            context.stats().authFailed(RelayStats.AuthFailure.BAD_REQUEST);
            return reject(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST));
        }
        if (context.nonces().check(nonce, client) != Nonces.Validity.VALID) {
            context.stats().authFailed(RelayStats.AuthFailure.STALE_NONCE);
            return reject(challenge(request, ErrorCode.STALE_NONCE, client));
        }
        if (username == null) {
            username = credentials.usernameFor(userhash);
        }
        // an unresolvable USERHASH still costs a decoy round, like an unknown USERNAME
        CredentialStore.Candidates candidates = credentials.keysFor(username == null ? "" : username, algorithm);
        byte[] match = null;
        for (byte[] key : candidates.keys()) {
            context.stats().integrityChecks.increment();
            // every key is tried, so timing does not tell which secret (if any) matched
            if (verify(request, key) && match == null) {
                match = key;
            }
        }
        if (match == null || username == null || !candidates.known() || !realm.equals(credentials.realm())) {
            context.stats().authFailed(username == null || !candidates.known() ? RelayStats.AuthFailure.UNKNOWN_USER
                    : !realm.equals(credentials.realm()) ? RelayStats.AuthFailure.WRONG_REALM
                    : RelayStats.AuthFailure.BAD_INTEGRITY);
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        if (candidates.expired()) {
            context.stats().authFailed(RelayStats.AuthFailure.EXPIRED);
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        RoomCredential holder = RoomCredential.of(username);
        if (context.revocations().isRevoked(holder)) {
            context.stats().authFailed(RelayStats.AuthFailure.REVOKED);
            return reject(challenge(request, ErrorCode.UNAUTHENTICATED, client));
        }
        return new Outcome(username, match, algorithm, holder, null);
    }

    /**
     * The password algorithm of §9.2.4: MD5 when the request carries neither PASSWORD-ALGORITHM nor
     * PASSWORD-ALGORITHMS (RFC 5389 clients) or when the nonce did not advertise the feature; otherwise both
     * must be present, PASSWORD-ALGORITHMS must be exactly what the challenge sent, and PASSWORD-ALGORITHM one
     * of its entries. Returns -1 when that fails (400). The nonce's cookie is trusted here because the nonce
     * MAC, checked later, covers it; a forged cookie ends in 438 either way.
     */
    private static int passwordAlgorithm(StunMessage request, String nonce) {
        int chosen = request.passwordAlgorithm();
        byte[] echoed = request.passwordAlgorithms();
        if (!NonceCookie.advertises(nonce, NonceCookie.PASSWORD_ALGORITHMS) || (chosen < 0 && echoed == null)) {
            return PasswordAlgorithm.MD5;
        }
        if (chosen < 0 || echoed == null || !Arrays.equals(echoed, OFFERED_ALGORITHMS)
                || !PasswordAlgorithm.listContains(OFFERED_ALGORITHMS, chosen)) {
            return -1;
        }
        return chosen;
    }

    /** MESSAGE-INTEGRITY-SHA256 when present (it covers MESSAGE-INTEGRITY too), else MESSAGE-INTEGRITY. */
    private static boolean verify(StunMessage request, byte[] key) {
        return request.hasIntegritySha256()
                ? MessageIntegritySha256.verify(request, key)
                : MessageIntegrity.verify(request, key);
    }

    StunMessageBuilder challenge(StunMessage request, ErrorCode code, InetAddress client) {
        StunMessageBuilder response = StunMessageBuilder.error(request, code)
                .realm(context.credentials().realm())
                .nonce(context.nonces().issue(client));
        if ((context.nonces().features() & NonceCookie.PASSWORD_ALGORITHMS) != 0) {
            response.passwordAlgorithms(OFFERED_ALGORITHMS);
        }
        return response;
    }

    private static Outcome reject(StunMessageBuilder response) {
        return new Outcome(null, null, PasswordAlgorithm.MD5, null, response);
    }
}
