package dev.turnbridge.relay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.auth.Nonces.Validity;
import dev.turnbridge.relay.testing.MutableClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class NoncesTest {
    private static final byte[] KEY = new byte[32];
    private static final Duration LIFETIME = Duration.ofSeconds(600);
    private static final InetAddress CLIENT = ip("203.0.113.5");

    static {
        Arrays.fill(KEY, (byte) 0x42);
    }

    // an instant with a millisecond part, so that rounding of the expiry matters
    private final MutableClock clock = new MutableClock(Instant.parse("2024-01-01T00:00:00.250Z"));
    private final Nonces nonces = new Nonces(KEY, LIFETIME, clock, NonceCookie.PASSWORD_ALGORITHMS);

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void shapeIsCookieThenEightHexDigitsThenUrlSafeMac() {
        String nonce = nonces.issue(CLIENT);
        assertThat(nonce).matches("obMatJos2AAAB[0-9a-f]{8}[A-Za-z0-9_-]{22}");
        int head = NonceCookie.LENGTH;
        long expiry = Long.parseLong(nonce.substring(head, head + 8), 16);
        assertThat(expiry).isEqualTo(Instant.parse("2024-01-01T00:10:00Z").getEpochSecond());
    }

    @Test
    void validWhenFreshForTheSameClient() {
        String nonce = nonces.issue(CLIENT);
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.VALID);
        assertThat(nonces.check(nonce, ip("203.0.113.5"))).as("equal address, other instance")
                .isEqualTo(Validity.VALID);
    }

    @Test
    void staleAfterTheLifetime() {
        String nonce = nonces.issue(CLIENT);
        clock.advance(Duration.ofMillis(599_749)); // 00:09:59.999
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.VALID);
        clock.advance(Duration.ofMillis(1)); // 00:10:00.000
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.STALE);
        clock.advance(Duration.ofDays(400));
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.STALE);
        assertThat(nonces.check(nonces.issue(CLIENT), CLIENT)).as("a fresh one works").isEqualTo(Validity.VALID);
    }

    @Test
    void invalidFromAnotherClientAddress() {
        String nonce = nonces.issue(CLIENT);
        assertThat(nonces.check(nonce, ip("203.0.113.6"))).isEqualTo(Validity.INVALID);
        assertThat(nonces.check(nonce, ip("::ffff:203.0.113.6"))).isEqualTo(Validity.INVALID);
        assertThat(nonces.check(nonce, ip("2001:db8::5"))).isEqualTo(Validity.INVALID);
        InetAddress v6 = ip("2001:db8::5");
        String v6Nonce = nonces.issue(v6);
        assertThat(nonces.check(v6Nonce, v6)).isEqualTo(Validity.VALID);
        assertThat(nonces.check(v6Nonce, ip("2001:db8::6"))).isEqualTo(Validity.INVALID);
    }

    @Test
    void staleFromAnotherClientIsInvalidNotStale() {
        String nonce = nonces.issue(CLIENT);
        clock.advance(LIFETIME.plusSeconds(1));
        assertThat(nonces.check(nonce, ip("203.0.113.6"))).isEqualTo(Validity.INVALID);
    }

    @Test
    void invalidFromAnotherServerKey() {
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        String nonce = new Nonces(otherKey, LIFETIME, clock, NonceCookie.PASSWORD_ALGORITHMS).issue(CLIENT);
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.INVALID);
        assertThat(new Nonces(LIFETIME, clock).check(nonces.issue(CLIENT), CLIENT))
                .as("random per-process key").isEqualTo(Validity.INVALID);
    }

    @ParameterizedTest(name = "char {0}")
    @ValueSource(ints = {0, 3, 7, 8, 15, 29})
    void tamperingWithAnyCharacterIsInvalid(int index) {
        String nonce = nonces.issue(CLIENT);
        char c = nonce.charAt(index);
        char replacement = c == 'a' ? 'b' : 'a';
        String tampered = nonce.substring(0, index) + replacement + nonce.substring(index + 1);
        assertThat(nonces.check(tampered, CLIENT)).isEqualTo(Validity.INVALID);
    }

    @Test
    void extendingTheExpiryIsInvalidNotValid() {
        String nonce = nonces.issue(CLIENT);
        clock.advance(LIFETIME);
        int head = NonceCookie.LENGTH;
        long expiry = Long.parseLong(nonce.substring(head, head + 8), 16);
        String extended = nonce.substring(0, head) + String.format("%08x", expiry + 3600)
                + nonce.substring(head + 8);
        assertThat(nonces.check(extended, CLIENT)).isEqualTo(Validity.INVALID);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "x",
        "f//499k954d6OL34oL9FSTvy64sA", // RFC 5769's nonce: 28 chars
        "000000000000000000000000000000", // 30 chars, right length, no MAC
        "zzzzzzzzAAAAAAAAAAAAAAAAAAAAAA", // not hex
        "ffffffffAAAAAAAAAAAAAAAAAAAAAA",
        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9AAAAAAAAAAAAAAAAAAAAAA", // non-ASCII
    })
    void garbageIsInvalid(String nonce) {
        assertThat(nonces.check(nonce, CLIENT)).isEqualTo(Validity.INVALID);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"one char short, -1", "one char long, 1"})
    void wrongLengthIsInvalid(String name, int delta) {
        String nonce = nonces.issue(CLIENT);
        String wrong = delta < 0 ? nonce.substring(0, nonce.length() - 1) : nonce + "A";
        assertThat(nonces.check(wrong, CLIENT)).isEqualTo(Validity.INVALID);
    }
}
