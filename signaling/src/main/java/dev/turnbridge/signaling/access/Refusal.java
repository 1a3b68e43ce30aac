package dev.turnbridge.signaling.access;

/**
 * Why a bearer token was refused. The tag is a fixed, low-cardinality metric label; the message goes to the
 * client (never the token or a key).
 */
public enum Refusal {
    MISSING("missing", "a bearer token is required"),
    MALFORMED("malformed", "the token is not a signed JWT"),
    ALGORITHM("algorithm", "the token's algorithm is not accepted"),
    UNKNOWN_KEY("unknown_key", "the token's key id is unknown"),
    BAD_SIGNATURE("bad_signature", "the token's signature does not verify"),
    EXPIRED("expired", "the token has expired"),
    NOT_YET_VALID("not_yet_valid", "the token is not valid yet"),
    WRONG_ISSUER("wrong_issuer", "the token's issuer is not accepted"),
    WRONG_AUDIENCE("wrong_audience", "the token's audience is not accepted"),
    MISSING_CLAIM("missing_claim", "the token lacks a required claim"),
    KEYS_UNAVAILABLE("keys_unavailable", "the signing keys could not be loaded; try again later");

    private final String tag;
    private final String message;

    Refusal(String tag, String message) {
        this.tag = tag;
        this.message = message;
    }

    /** The metric tag and the machine-readable reason. */
    public String tag() {
        return tag;
    }

    public String message() {
        return message;
    }
}
