package dev.turnbridge.signaling.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.function.Function;

/**
 * Resume tokens: {@code <peerId>.<base64url secret>}. The id finds the peer, the secret is compared in constant
 * time; a shared registry keeps only a hash of the secret.
 */
final class ResumeTokens {

    private ResumeTokens() {
    }

    static String of(Peer peer) {
        return peer.id() + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(peer.tokenSecret);
    }

    /** The peer id a token names, or null when it is not a token. */
    static String peerId(String token) {
        int dot = token == null ? -1 : token.indexOf('.');
        return dot <= 0 ? null : token.substring(0, dot);
    }

    /** The peer {@code token} belongs to among those {@code peers} finds by id, or null. */
    static Peer find(Function<String, Peer> peers, String token) {
        String id = peerId(token);
        Peer peer = id == null ? null : peers.apply(id);
        byte[] presented = token == null ? new byte[0]
                : token.substring(token.indexOf('.') + 1).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = peer == null ? new byte[0]
                : Base64.getUrlEncoder().withoutPadding().encodeToString(peer.tokenSecret)
                        .getBytes(StandardCharsets.US_ASCII);
        return peer != null && MessageDigest.isEqual(presented, expected) ? peer : null;
    }

    /** What a shared registry keeps of a resume token: base64url(SHA-256(its secret part)). */
    static String secretHash(String token) {
        String secret = token.substring(token.indexOf('.') + 1);
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
