package dev.turnbridge.signaling.access;

import com.nimbusds.jose.JWSObject;
import dev.turnbridge.config.Secret;
import dev.turnbridge.signaling.room.Room;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.util.concurrent.CompletableFuture;

/**
 * Who may do what in signaling, in one place. {@link #authenticate} turns a bearer (a JWT, a join token or the
 * API key) into an {@link Identity}; {@link #admits} applies a room's policy to it; {@link #mayCreateRooms}
 * says who creates rooms. Every outcome is counted in {@link AccessStats} by mode.
 *
 * <ul>
 *   <li>{@code open}: everyone is {@link Identity#anonymous()} and every room admits everyone.</li>
 *   <li>{@code jwt}: the app's identity provider's JWTs ({@code idp}); join tokens minted with the API key
 *       are accepted too.</li>
 *   <li>{@code api-key}: only join tokens, and the API key itself (the backend).</li>
 * </ul>
 */
public final class AccessControl {

    private final AccessMode mode;
    private final Secret apiKey;
    private final TokenVerifier idp;
    private final JoinTokens joinTokens;
    private final AccessStats stats = new AccessStats();

    /**
     * @param idp        the identity provider's verifier (jwt mode), or null
     * @param joinTokens mints and verifies this server's join tokens
     */
    public AccessControl(AccessMode mode, Secret apiKey, TokenVerifier idp, JoinTokens joinTokens) {
        if (mode == AccessMode.JWT && idp == null) {
            throw new IllegalArgumentException("jwt access needs a verifier");
        }
        this.mode = mode;
        this.apiKey = apiKey;
        this.idp = idp;
        this.joinTokens = joinTokens;
    }

    public AccessMode mode() {
        return mode;
    }

    public AccessStats stats() {
        return stats;
    }

    public JoinTokens joinTokens() {
        return joinTokens;
    }

    /** Verifies a bearer; completes at once unless signing keys must be fetched (then off the event loop). */
    public CompletableFuture<AuthResult> authenticate(String bearer) {
        if (mode == AccessMode.OPEN) {
            stats.ok(mode);
            return CompletableFuture.completedFuture(AuthResult.ok(Identity.anonymous()));
        }
        if (isApiKey(bearer)) {
            stats.ok(mode);
            return CompletableFuture.completedFuture(AuthResult.ok(Identity.apiKeyHolder()));
        }
        TokenVerifier verifier = mode == AccessMode.API_KEY || isJoinToken(bearer) ? joinTokens.verifier() : idp;
        return verifier.verify(bearer).whenComplete((result, error) -> {
            if (result != null && result.isOk()) {
                stats.ok(mode);
            } else if (result != null) {
                stats.refused(mode, result.refusal());
            }
        });
    }

    /** True for the configured API key (compared in constant time). */
    public boolean isApiKey(String bearer) {
        return bearer != null && !apiKey.isEmpty()
                && MessageDigest.isEqual(bearer.getBytes(StandardCharsets.UTF_8), apiKey.bytes());
    }

    /** Creating rooms: any valid identity, except that in api-key mode only the backend may. */
    public boolean mayCreateRooms(Identity identity) {
        return mode != AccessMode.API_KEY || identity.backend();
    }

    /**
     * Whether {@code room} admits {@code identity}: everyone in open mode and the backend always; a public room
     * any valid token; a private room its creator and tokens whose {@code room} claim names it. A refusal is
     * counted as {@code forbidden}.
     */
    public boolean admits(Room room, Identity identity) {
        boolean ok = mode == AccessMode.OPEN || identity.backend()
                || room.visibility() == Room.Visibility.PUBLIC
                || (room.creator() != null && room.creator().equals(identity.subject()))
                || identity.rooms().contains(room.code());
        if (!ok) {
            stats.forbidden(mode);
        }
        return ok;
    }

    /** Counts a refusal decided elsewhere (a token that expired while its connection was open). */
    public void countRefusal(Refusal refusal) {
        stats.refused(mode, refusal);
    }

    private static boolean isJoinToken(String bearer) {
        if (bearer == null || bearer.length() > JwtVerifier.MAX_TOKEN_LENGTH) {
            return false;
        }
        try {
            return JoinTokens.KEY_ID.equals(JWSObject.parse(bearer).getHeader().getKeyID());
        } catch (ParseException e) {
            return false;
        }
    }
}
