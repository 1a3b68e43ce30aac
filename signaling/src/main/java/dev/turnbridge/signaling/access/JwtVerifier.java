package dev.turnbridge.signaling.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Verifies JWTs (RFC 7519) signed with HS256 (a shared secret, as Supabase projects use) or with RS256, ES256
 * or EdDSA (Ed25519) keys from a {@link JwksSource}. The algorithm decides the key family before any key is
 * looked at: an HS256 token is checked only against the shared secrets and an asymmetric one only against
 * JWKS keys of the matching type, so a token "signed" with a public key as HMAC secret is refused
 * (algorithm confusion), and {@code alg: none} is refused outright. Then, signature first: {@code exp} (always
 * required) and {@code nbf} with clock skew, {@code iss}, {@code aud}, {@code sub} (always required) and the
 * configured required claims.
 *
 * <p>Free of Netty and of signaling's rooms: a later Supabase-Realtime endpoint can verify with it too.
 */
public final class JwtVerifier implements TokenVerifier {

    /** Tokens longer than this are refused unparsed: a JWT for a user is well under 2 KiB. */
    static final int MAX_TOKEN_LENGTH = 8192;
    static final int MAX_SUBJECT_LENGTH = 256;
    /** Ed25519 SubjectPublicKeyInfo prefix (RFC 8410): the 32 key bytes follow. */
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
            0x21, 0x00};
    private static final Set<JWSAlgorithm> ASYMMETRIC = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256,
            JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    /**
     * What a token must say besides carrying a valid signature.
     *
     * @param issuer         required {@code iss}; empty: not checked
     * @param audience       {@code aud} must contain one of these; empty: not checked
     * @param clockSkew      tolerance for {@code exp} and {@code nbf}
     * @param requiredClaims claims that must be present besides {@code sub} and {@code exp}
     */
    public record Rules(String issuer, List<String> audience, Duration clockSkew, List<String> requiredClaims) {
        public Rules {
            audience = List.copyOf(audience);
            requiredClaims = List.copyOf(requiredClaims);
        }
    }

    private final List<byte[]> hmacKeys;
    private final JwksSource jwks;
    private final Rules rules;
    private final Clock clock;

    /**
     * @param hmacKeys HS256 keys (each at least 32 bytes); any one verifies. Empty: HS256 is refused.
     * @param jwks     asymmetric keys, or null: RS256/ES256/EdDSA are refused
     */
    public JwtVerifier(List<byte[]> hmacKeys, JwksSource jwks, Rules rules, Clock clock) {
        this.hmacKeys = hmacKeys.stream().map(byte[]::clone).toList();
        this.jwks = jwks;
        this.rules = rules;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<AuthResult> verify(String token) {
        if (token == null || token.isBlank()) {
            return done(AuthResult.refused(Refusal.MISSING));
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return done(AuthResult.refused(Refusal.MALFORMED, "longer than " + MAX_TOKEN_LENGTH + " characters"));
        }
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            return done(AuthResult.refused(Refusal.MALFORMED));
        }
        if (jwt instanceof PlainJWT) {
            return done(AuthResult.refused(Refusal.ALGORITHM, "none"));
        }
        if (!(jwt instanceof SignedJWT signed)) {
            return done(AuthResult.refused(Refusal.MALFORMED, "encrypted tokens are not accepted"));
        }
        JWSAlgorithm alg = signed.getHeader().getAlgorithm();
        if (JWSAlgorithm.HS256.equals(alg) && !hmacKeys.isEmpty()) {
            for (byte[] key : hmacKeys) {
                if (verifies(signed, key)) {
                    return done(claims(signed));
                }
            }
            return done(AuthResult.refused(Refusal.BAD_SIGNATURE));
        }
        if (!ASYMMETRIC.contains(alg) || jwks == null) {
            return done(AuthResult.refused(Refusal.ALGORITHM, alg.getName()));
        }
        List<JWK> keys = candidates(jwks.current(), signed.getHeader());
        if (!keys.isEmpty()) {
            return done(check(signed, keys));
        }
        // A key id we do not know: perhaps the issuer rotated keys. Re-read (rate-limited) and try once more.
        return jwks.refresh().thenApply(set -> {
            List<JWK> fresh = candidates(set, signed.getHeader());
            if (!fresh.isEmpty()) {
                return check(signed, fresh);
            }
            return jwks.loaded() ? AuthResult.refused(Refusal.UNKNOWN_KEY)
                    : AuthResult.refused(Refusal.KEYS_UNAVAILABLE);
        });
    }

    private AuthResult check(SignedJWT signed, List<JWK> keys) {
        for (JWK key : keys) {
            if (verifies(signed, key)) {
                return claims(signed);
            }
        }
        return AuthResult.refused(Refusal.BAD_SIGNATURE);
    }

    /** Keys of the type the algorithm needs, with the token's kid (any kid when the token names none). */
    private static List<JWK> candidates(JWKSet set, JWSHeader header) {
        JWSAlgorithm alg = header.getAlgorithm();
        String kid = header.getKeyID();
        List<JWK> out = new ArrayList<>();
        for (JWK key : set.getKeys()) {
            if (kid != null && !kid.equals(key.getKeyID())) {
                continue;
            }
            if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())
                    && !(isEd(alg) && isEd(key.getAlgorithm()))) {
                continue;
            }
            boolean fits = (JWSAlgorithm.RS256.equals(alg) && key instanceof RSAKey)
                    || (JWSAlgorithm.ES256.equals(alg) && key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve()))
                    || (isEd(alg) && key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve()));
            if (fits) {
                out.add(key);
            }
        }
        return out;
    }

    private static boolean isEd(com.nimbusds.jose.Algorithm alg) {
        return alg.getName().equals(JWSAlgorithm.EdDSA.getName()) || alg.getName().equals(JWSAlgorithm.Ed25519.getName());
    }

    private static boolean verifies(SignedJWT signed, byte[] hmacKey) {
        try {
            return signed.verify(new MACVerifier(hmacKey));
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }

    private static boolean verifies(SignedJWT signed, JWK key) {
        try {
            if (key instanceof RSAKey rsa) {
                return signed.verify(new RSASSAVerifier(rsa.toRSAPublicKey()));
            } else if (key instanceof ECKey ec) {
                return signed.verify(new ECDSAVerifier(ec.toECPublicKey()));
            } else if (key instanceof OctetKeyPair okp) {
                return verifyEd25519(signed, okp);
            }
        } catch (JOSEException | IllegalStateException | GeneralSecurityException e) {
            return false;
        }
        return false;
    }

    /** EdDSA with the JDK's Ed25519 (nimbus's own verifier would need Google Tink). */
    private static boolean verifyEd25519(SignedJWT signed, OctetKeyPair okp) throws GeneralSecurityException {
        Set<String> crit = signed.getHeader().getCriticalParams();
        if (crit != null && !crit.isEmpty()) {
            return false; // extensions we do not understand (RFC 7515 §4.1.11), as nimbus's verifiers refuse them
        }
        byte[] x = okp.getDecodedX();
        if (x == null || x.length != 32) {
            return false;
        }
        byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        PublicKey publicKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(publicKey);
        verifier.update(signed.getSigningInput());
        return verifier.verify(signed.getSignature().decode());
    }

    private AuthResult claims(SignedJWT signed) {
        JWTClaimsSet c;
        try {
            c = signed.getJWTClaimsSet();
        } catch (ParseException e) {
            return AuthResult.refused(Refusal.MALFORMED, "claims are not a JSON object");
        }
        Instant now = clock.instant();
        Duration skew = rules.clockSkew();
        if (c.getExpirationTime() == null) {
            return AuthResult.refused(Refusal.MISSING_CLAIM, "exp");
        }
        Instant validUntil = c.getExpirationTime().toInstant().plus(skew);
        if (!now.isBefore(validUntil)) {
            return AuthResult.refused(Refusal.EXPIRED);
        }
        if (c.getNotBeforeTime() != null && now.isBefore(c.getNotBeforeTime().toInstant().minus(skew))) {
            return AuthResult.refused(Refusal.NOT_YET_VALID);
        }
        if (!rules.issuer().isEmpty() && !rules.issuer().equals(c.getIssuer())) {
            return AuthResult.refused(Refusal.WRONG_ISSUER, "expected " + rules.issuer());
        }
        if (!rules.audience().isEmpty() && (c.getAudience() == null
                || c.getAudience().stream().noneMatch(rules.audience()::contains))) {
            return AuthResult.refused(Refusal.WRONG_AUDIENCE, "expected " + String.join(" or ", rules.audience()));
        }
        String sub = c.getSubject();
        if (sub == null || sub.isBlank()) {
            return AuthResult.refused(Refusal.MISSING_CLAIM, "sub");
        }
        if (sub.length() > MAX_SUBJECT_LENGTH) {
            return AuthResult.refused(Refusal.MALFORMED, "sub longer than " + MAX_SUBJECT_LENGTH + " characters");
        }
        for (String name : rules.requiredClaims()) {
            if (c.getClaim(name) == null) {
                return AuthResult.refused(Refusal.MISSING_CLAIM, name);
            }
        }
        return AuthResult.ok(new Identity(sub, rooms(c.getClaim("room")), false, validUntil,
                positiveInt(c.getClaim("room_capacity_max")), seconds(c.getClaim("room_ttl_max"))));
    }

    /** Claim {@code room}: one code or a list of codes. */
    private static Set<String> rooms(Object claim) {
        Set<String> rooms = new HashSet<>();
        if (claim instanceof String s) {
            rooms.add(s.toUpperCase(Locale.ROOT));
        } else if (claim instanceof Collection<?> list) {
            for (Object o : list) {
                if (o instanceof String s && rooms.size() < 100) {
                    rooms.add(s.toUpperCase(Locale.ROOT));
                }
            }
        }
        return rooms;
    }

    private static Integer positiveInt(Object claim) {
        return claim instanceof Number n && n.longValue() >= 1 ? (int) Math.min(n.longValue(), Integer.MAX_VALUE)
                : null;
    }

    private static Duration seconds(Object claim) {
        return claim instanceof Number n && n.longValue() >= 1 ? Duration.ofSeconds(n.longValue()) : null;
    }

    private static CompletableFuture<AuthResult> done(AuthResult result) {
        return CompletableFuture.completedFuture(result);
    }
}
