package dev.turnbridge.signaling.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.turnbridge.signaling.message.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Test tokens and keys: well-formed ones, and every kind of bad one a verifier must refuse. */
public final class Jwts {

    private Jwts() {
    }

    public static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** An Ed25519 key pair from the JDK (nimbus's generator would need Google Tink). */
    public static Ed25519 ed25519(String kid) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] spki = pair.getPublic().getEncoded();
            byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
            return new Ed25519(pair, new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).keyID(kid).build());
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    public record Ed25519(KeyPair pair, OctetKeyPair publicJwk) {
    }

    /** The public JWKS of these keys, as served by an identity provider. */
    public static String jwks(JWK... keys) {
        return new JWKSet(Arrays.stream(keys).map(k -> k.isPrivate() ? k.toPublicJWK() : k).toList()).toString();
    }

    /** Claims for {@code sub}, valid from a minute ago for ten minutes, with the given extras (null removes). */
    public static JWTClaimsSet claims(String sub, Instant now, Map<String, Object> extra) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject(sub).issueTime(Date.from(now.minusSeconds(60)))
                .expirationTime(Date.from(now.plusSeconds(600))).audience("authenticated")
                .issuer("https://idp.test/auth/v1");
        extra.forEach((k, v) -> b.claim(k, v instanceof Instant i ? Date.from(i) : v));
        return b.build();
    }

    public static String hs256(byte[] key, JWTClaimsSet claims) {
        return sign(new JWSHeader.Builder(JWSAlgorithm.HS256).build(), claims, mac(key));
    }

    public static String rs256(RSAKey key, JWTClaimsSet claims) {
        try {
            return sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims,
                    new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static String es256(ECKey key, JWTClaimsSet claims) {
        try {
            return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims,
                    new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static String eddsa(Ed25519 key, JWTClaimsSet claims) {
        String signingInput = b64(Json.write(Json.object().put("alg", "EdDSA")
                .put("kid", key.publicJwk().getKeyID()))) + "." + b64(claims.toString());
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key.pair().getPrivate());
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code alg: none}, no signature (RFC 7519 §6). */
    public static String unsecured(JWTClaimsSet claims) {
        return b64("{\"alg\":\"none\"}") + "." + b64(claims.toString()) + ".";
    }

    /**
     * The algorithm-confusion attack: HS256 "signed" with the RSA public key's encoding as HMAC secret, naming
     * the RSA key's kid, for a verifier that would hand whatever key the kid finds to the header's algorithm.
     */
    public static String confused(RSAKey rsa, JWTClaimsSet claims) {
        try {
            byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
            return sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(), claims,
                    mac(publicKey));
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** Member list helper for the claim {@code room}. */
    public static List<String> rooms(String... codes) {
        return List.of(codes);
    }

    private static MACSigner mac(byte[] key) {
        try {
            return new MACSigner(key);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
        return jwt.serialize();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
