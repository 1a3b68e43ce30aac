package dev.turnbridge.signaling.access;

/**
 * The outcome of checking a bearer token: an identity, or a refusal with a message for the client.
 *
 * @param identity the verified identity, or null when refused
 * @param refusal  why it was refused, or null when verified
 * @param message  the client-facing reason (names the claim or algorithm at fault; never the token)
 */
public record AuthResult(Identity identity, Refusal refusal, String message) {

    public static AuthResult ok(Identity identity) {
        return new AuthResult(identity, null, null);
    }

    public static AuthResult refused(Refusal refusal) {
        return new AuthResult(null, refusal, refusal.message());
    }

    public static AuthResult refused(Refusal refusal, String detail) {
        return new AuthResult(null, refusal, refusal.message() + ": " + detail);
    }

    public boolean isOk() {
        return identity != null;
    }
}
