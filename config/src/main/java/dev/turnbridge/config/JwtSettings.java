package dev.turnbridge.config;

import java.time.Duration;
import java.util.List;

/**
 * How {@code signaling.access: jwt} verifies bearer tokens (RFC 7519). YAML section {@code signaling.jwt:}.
 * At least one source of keys is required in that mode: a shared secret (HS256, a Supabase project's JWT
 * secret), a JWKS file, or a JWKS URL (RS256, ES256, EdDSA keys, such as a Supabase project's
 * {@code /auth/v1/.well-known/jwks.json}).
 *
 * @param secret          HS256 shared secret, at least 32 bytes; empty: HS256 tokens are refused
 * @param jwksFile        a JSON Web Key Set file (RFC 7517 §5); empty: none. Not together with {@code jwksUrl}
 * @param jwksUrl         a JWKS URL (https, or http on loopback), fetched off the event loops and cached;
 *                        empty: none
 * @param issuer          required {@code iss}; empty: not checked
 * @param audience        {@code aud} must contain one of these; empty: not checked
 * @param clockSkew       tolerance for {@code exp} and {@code nbf} between our clock and the issuer's
 * @param requiredClaims  claims a token must carry besides {@code sub} and {@code exp}, which are always required
 * @param jwksRefresh     a JWKS URL or file is re-read in the background once it is this old
 * @param jwksMinRefresh  an unknown {@code kid} re-reads the JWKS at most this often (so forged kids cannot
 *                        make us hammer the identity provider)
 */
public record JwtSettings(
        Secret secret,
        String jwksFile,
        String jwksUrl,
        String issuer,
        List<String> audience,
        Duration clockSkew,
        List<String> requiredClaims,
        Duration jwksRefresh,
        Duration jwksMinRefresh) {

    public JwtSettings {
        audience = List.copyOf(audience);
        requiredClaims = List.copyOf(requiredClaims);
    }

    /** True when some key material is configured. */
    public boolean hasKeys() {
        return !secret.isEmpty() || !jwksFile.isEmpty() || !jwksUrl.isEmpty();
    }

    /** The documented defaults. */
    public static JwtSettings defaults() {
        return new JwtSettings(new Secret(""), "", "", "", List.of("authenticated"), Duration.ofSeconds(30),
                List.of(), Duration.ofMinutes(10), Duration.ofSeconds(30));
    }
}
