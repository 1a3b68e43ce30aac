package dev.turnbridge.signaling.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import dev.turnbridge.signaling.MutableClock;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier's limits and edge cases, off the network (the JWKS-over-HTTP cases on loopback). */
class JwtVerifierTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final Duration SKEW = Duration.ofSeconds(30);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T12:00:00Z"));

    @TempDir
    Path dir;

    private JwtVerifier verifier(JwksSource jwks, List<String> required) {
        return new JwtVerifier(List.of(SECRET), jwks,
                new JwtVerifier.Rules("https://idp.test/auth/v1", List.of("authenticated"), SKEW, required), clock);
    }

    private AuthResult verify(JwtVerifier v, String token) throws Exception {
        return v.verify(token).get(10, TimeUnit.SECONDS);
    }

    private JWTClaimsSet claims(String sub, Map<String, Object> extra) {
        return Jwts.claims(sub, clock.instant(), extra);
    }

    private JwksSource file(String json) throws Exception {
        Path f = Files.writeString(dir.resolve("jwks.json"), json);
        JwksSource source = JwksSource.file(f, Runnable::run, clock, Duration.ofMinutes(10), Duration.ofSeconds(30));
        source.load().get(5, TimeUnit.SECONDS);
        return source;
    }

    @Test
    void expiryAndNotBeforeHonourTheClockSkewExactly() throws Exception {
        JwtVerifier v = verifier(null, List.of());
        Instant now = clock.instant();
        assertThat(verify(v, Jwts.hs256(SECRET, claims("a", Map.of("exp", now.minus(SKEW).plusSeconds(1))))).isOk())
                .as("expired less than the skew ago").isTrue();
        assertThat(verify(v, Jwts.hs256(SECRET, claims("a", Map.of("exp", now.minus(SKEW))))).refusal())
                .isEqualTo(Refusal.EXPIRED);
        assertThat(verify(v, Jwts.hs256(SECRET, claims("a", Map.of("nbf", now.plus(SKEW))))).isOk()).isTrue();
        assertThat(verify(v, Jwts.hs256(SECRET, claims("a", Map.of("nbf", now.plus(SKEW).plusSeconds(1)))))
                .refusal()).isEqualTo(Refusal.NOT_YET_VALID);
        AuthResult ok = verify(v, Jwts.hs256(SECRET, claims("a", Map.of())));
        assertThat(ok.identity().validUntil()).isEqualTo(now.plusSeconds(600).plus(SKEW));
    }

    @Test
    void limitsOnTokenSizeSubjectAndRequiredClaims() throws Exception {
        JwtVerifier v = verifier(null, List.of("email"));
        assertThat(verify(v, "a".repeat(JwtVerifier.MAX_TOKEN_LENGTH + 1)).message())
                .isEqualTo("the token is not a signed JWT: longer than 8192 characters");
        assertThat(verify(v, Jwts.hs256(SECRET, claims("u".repeat(257), Map.of("email", "x")))).message())
                .contains("sub longer than 256");
        assertThat(verify(v, Jwts.hs256(SECRET, claims("u".repeat(256), Map.of("email", "x")))).isOk()).isTrue();
        assertThat(verify(v, Jwts.hs256(SECRET, claims("u", Map.of()))).message())
                .isEqualTo("the token lacks a required claim: email");
        assertThat(verify(v, Jwts.hs256(SECRET, new JWTClaimsSet.Builder().subject("u").audience("authenticated")
                .issuer("https://idp.test/auth/v1").build())).message())
                .isEqualTo("the token lacks a required claim: exp");
    }

    @Test
    void roomClaimsAndBoundsBecomePartOfTheIdentity() throws Exception {
        JwtVerifier v = verifier(null, List.of());
        Identity one = verify(v, Jwts.hs256(SECRET, claims("u", Map.of("room", "abcd2345")))).identity();
        Identity many = verify(v, Jwts.hs256(SECRET, claims("u", Map.of("room", List.of("ABCD2345", "WXYZ6789"),
                "room_capacity_max", 4, "room_ttl_max", 900)))).identity();
        Identity odd = verify(v, Jwts.hs256(SECRET, claims("u", Map.of("room", 7, "room_capacity_max", -1))))
                .identity();
        assertThat(one.rooms()).containsExactly("ABCD2345");
        assertThat(many.rooms()).containsExactlyInAnyOrder("ABCD2345", "WXYZ6789");
        assertThat(many.capacityMax()).isEqualTo(4);
        assertThat(many.ttlMax()).isEqualTo(Duration.ofSeconds(900));
        assertThat(odd.rooms()).isEmpty();
        assertThat(odd.capacityMax()).isNull();
    }

    @Test
    void aJwksNeverLendsItsKeysToHmacAndKeysMustFitTheAlgorithm() throws Exception {
        RSAKey rsa = Jwts.rsa("k1");
        // an oct key published in a JWKS would let anyone who reads the JWKS sign HS256 tokens
        OctetSequenceKey oct = new OctetSequenceKey.Builder(SECRET).keyID("hs").build();
        JwksSource jwks = file("{\"keys\":[" + rsa.toPublicJWK().toJSONString() + "," + oct.toJSONString() + "]}");
        JwtVerifier noHs = new JwtVerifier(List.of(), jwks,
                new JwtVerifier.Rules("", List.of(), SKEW, List.of()), clock);
        assertThat(jwks.current().getKeys()).extracting(k -> k.getKeyID()).containsExactly("k1");
        assertThat(verify(noHs, Jwts.hs256(SECRET, claims("u", Map.of()))).message())
                .isEqualTo("the token's algorithm is not accepted: HS256");
        assertThat(verify(noHs, Jwts.rs256(rsa, claims("u", Map.of()))).isOk()).isTrue();
        // an ES256 header naming the RSA key's kid finds no key of the right type
        assertThat(verify(noHs, Jwts.es256(Jwts.ec("k1"), claims("u", Map.of()))).refusal())
                .isEqualTo(Refusal.UNKNOWN_KEY);
    }

    @Test
    void eddsaVerifiesWithTheJdkAndRefusesATamperedSignature() throws Exception {
        Jwts.Ed25519 ed = Jwts.ed25519("ed");
        JwtVerifier v = new JwtVerifier(List.of(), file(Jwts.jwks(ed.publicJwk())),
                new JwtVerifier.Rules("", List.of(), SKEW, List.of()), clock);
        String token = Jwts.eddsa(ed, claims("u", Map.of()));
        assertThat(verify(v, token).identity().subject()).isEqualTo("u");
        String[] parts = token.split("\\.");
        byte[] sig = Base64URL.from(parts[2]).decode();
        sig[0] ^= 1;
        assertThat(verify(v, parts[0] + "." + parts[1] + "." + Base64URL.encode(sig)).refusal())
                .isEqualTo(Refusal.BAD_SIGNATURE);
    }

    @Test
    void anOversizedJwksIsRefusedAndTheKnownKeysKept() throws Exception {
        RSAKey rsa = Jwts.rsa("k1");
        String good = Jwts.jwks(rsa);
        String huge = "{\"keys\":[], \"pad\":\"" + "x".repeat(JwksSource.MAX_BYTES) + "\"}";
        HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String[] body = {good};
        idp.createContext("/jwks", exchange -> {
            byte[] b = body[0].getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        idp.start();
        try {
            JwksSource jwks = JwksSource.url(URI.create("http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks"),
                    HttpClient.newHttpClient(), Runnable::run, clock, Duration.ofMinutes(10), Duration.ofSeconds(1));
            CompletableFuture<?> first = jwks.load();
            first.get(10, TimeUnit.SECONDS);
            assertThat(jwks.current().getKeys()).hasSize(1);
            body[0] = huge;
            clock.advance(Duration.ofSeconds(2));
            assertThat(jwks.refresh().get(10, TimeUnit.SECONDS).getKeys()).as("kept after a refused read").hasSize(1);
        } finally {
            idp.stop(0);
        }

        Path big = Files.writeString(dir.resolve("big.json"), huge);
        JwksSource fromFile = JwksSource.file(big, Runnable::run, clock, Duration.ofMinutes(10), Duration.ofSeconds(1));
        fromFile.load().get(5, TimeUnit.SECONDS);
        assertThat(fromFile.loaded()).isFalse();
        JwtVerifier v = new JwtVerifier(List.of(), fromFile, new JwtVerifier.Rules("", List.of(), SKEW, List.of()),
                clock);
        assertThat(verify(v, Jwts.rs256(rsa, claims("u", Map.of()))).refusal()).isEqualTo(Refusal.KEYS_UNAVAILABLE);
    }
}
