package dev.turnbridge.relay.stun;

/**
 * Which message-integrity attributes sign a message: MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5), and
 * MESSAGE-INTEGRITY-SHA256 (§14.6) with its length, 0 when absent. A response is signed with the same
 * attributes its request carried (§9.2.4), so RFC 5389 clients keep getting MESSAGE-INTEGRITY only.
 *
 * @param sha1         whether MESSAGE-INTEGRITY is present
 * @param sha256Length the MESSAGE-INTEGRITY-SHA256 value length, or 0 when it is absent
 */
public record IntegrityAttributes(boolean sha1, int sha256Length) {
    /** What RFC 5389 clients send and expect. */
    public static final IntegrityAttributes SHA1 = new IntegrityAttributes(true, 0);
    public static final IntegrityAttributes SHA256 = new IntegrityAttributes(false, MessageIntegritySha256.LENGTH);
    /** Both, MESSAGE-INTEGRITY first, as RFC 8489 clients do when they cannot tell what the server knows. */
    public static final IntegrityAttributes BOTH = new IntegrityAttributes(true, MessageIntegritySha256.LENGTH);
    public static final IntegrityAttributes NONE = new IntegrityAttributes(false, 0);

    public IntegrityAttributes {
        if (sha256Length != 0 && !MessageIntegritySha256.isValidLength(sha256Length)) {
            throw new IllegalArgumentException("sha256Length: " + sha256Length + " (expected: 0 or 16..32, a multiple of 4)");
        }
    }

    public boolean sha256() {
        return sha256Length > 0;
    }

    public boolean any() {
        return sha1 || sha256();
    }

    /** The attributes a response carries: the same types, MESSAGE-INTEGRITY-SHA256 untruncated. */
    public IntegrityAttributes forResponse() {
        if (!any()) {
            return SHA1; // an unsigned request never gets a signed response; keep encode(key) meaningful
        }
        return sha256() ? new IntegrityAttributes(sha1, MessageIntegritySha256.LENGTH) : SHA1;
    }
}
