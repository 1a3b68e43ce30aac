package dev.turnbridge.relay.auth;

import java.text.Normalizer;

/**
 * The preparation RFC 8489 §9.2.2 applies to realm and password before hashing them into a long-term key:
 * the OpaqueString profile of PRECIS (RFC 8265 §4.2), whose mappings are non-ASCII spaces to U+0020 and
 * Unicode normalization form C. ASCII text, which REST credentials always are, is left unchanged. The
 * profile's rejection of control and unassigned characters is not applied: these strings come from
 * configuration and from the client's own realm echo, and a string that should have been rejected simply
 * produces a key that does not match.
 */
public final class OpaqueString {
    private OpaqueString() {
    }

    public static String prepare(String s) {
        StringBuilder mapped = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x7F && Character.getType(c) == Character.SPACE_SEPARATOR) {
                if (mapped == null) {
                    mapped = new StringBuilder(s);
                }
                mapped.setCharAt(i, ' ');
            }
        }
        String spaced = mapped == null ? s : mapped.toString();
        return Normalizer.normalize(spaced, Normalizer.Form.NFC);
    }
}
