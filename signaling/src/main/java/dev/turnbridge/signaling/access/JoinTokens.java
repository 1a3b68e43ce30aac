package dev.turnbridge.signaling.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.turnbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Join tokens that this server mints for the app's backend ({@code POST /api/rooms/{code}/tokens}): HS256 JWTs
 * naming one room and one user, with {@code kid} {@value #KEY_ID}, issuer {@value #ISSUER} and audience
 * {@value #AUDIENCE}. The key is derived from each {@code auth.secrets} entry (HMAC-SHA256 with a fixed
 * label), so the TURN secret itself never signs a token and rotating it rotates these too.
 */
public final class JoinTokens {

    public static final String KEY_ID = "turnbridge-join";
    public static final String ISSUER = "turnbridge";
    public static final String AUDIENCE = "turnbridge-join";
    private static final byte[] LABEL = "turnbridge signaling join token v1".getBytes(StandardCharsets.US_ASCII);
    /** Our own clock signs and checks these: a second of skew is plenty. */
    private static final Duration SKEW = Duration.ofSeconds(1);

    private final List<byte[]> keys;
    private final Clock clock;
    private final JwtVerifier verifier;

    /** @param secrets the relay's secrets; the first signs, all verify */
    public JoinTokens(List<Secret> secrets, Clock clock) {
        this.keys = secrets.stream().map(JoinTokens::derive).toList();
        this.clock = clock;
        this.verifier = new JwtVerifier(keys, null,
                new JwtVerifier.Rules(ISSUER, List.of(AUDIENCE), SKEW, List.of("room")), clock);
    }

    /** A token admitting {@code user} to {@code room} until {@code ttl} from now. */
    public String mint(String room, String user, Duration ttl) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER).audience(AUDIENCE).subject(user).claim("room", room)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(KEY_ID).build(), claims);
        try {
            jwt.sign(new MACSigner(keys.get(0)));
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 signing failed", e);
        }
        return jwt.serialize();
    }

    /** Verifies tokens minted by {@link #mint}. */
    public TokenVerifier verifier() {
        return verifier;
    }

    private static byte[] derive(Secret secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.bytes(), "HmacSHA256"));
            return mac.doFinal(LABEL);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
