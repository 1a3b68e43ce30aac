package dev.turnbridge.relay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class NonceCookieTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000), ZoneOffset.UTC);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "obMatJos2AAABrest, 1",
        "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA, 2", // RFC 8489 Appendix B.1: username anonymity
        "obMatJos2AAADx, 3",
        "obMatJos2AAAA, 0",
        "obMatJos2AAA, -1",
        "obMatJos2AA?Bx, -1",
        "obMatJos2AA==x, -1",
        "f//499k954d6OL34oL9FSTvy64sA, -1", // RFC 5769 nonce: no cookie
        "xbMatJos2AAAB, -1",
    })
    void readsTheFeatureSet(String nonce, int features) {
        assertThat(NonceCookie.features(nonce)).isEqualTo(features);
    }

    @Test
    void encodesBitZeroAsTheLeastSignificant() {
        assertThat(NonceCookie.encode(NonceCookie.PASSWORD_ALGORITHMS)).isEqualTo("obMatJos2AAAB");
        assertThat(NonceCookie.encode(NonceCookie.PASSWORD_ALGORITHMS | NonceCookie.USERNAME_ANONYMITY))
                .isEqualTo("obMatJos2AAAD");
        assertThat(NonceCookie.advertises("obMatJos2AAADx", NonceCookie.PASSWORD_ALGORITHMS)).isTrue();
        assertThat(NonceCookie.advertises("obMatJos2AAACx", NonceCookie.PASSWORD_ALGORITHMS)).isFalse();
        assertThat(NonceCookie.advertises(null, NonceCookie.PASSWORD_ALGORITHMS)).isFalse();
    }

    @Test
    void issuedNoncesCarryTheCookieAndItCannotBeEdited() throws Exception {
        InetAddress client = InetAddress.getByName("192.0.2.1");
        Nonces nonces = new Nonces(new byte[32], Duration.ofMinutes(10), CLOCK, NonceCookie.PASSWORD_ALGORITHMS);
        String nonce = nonces.issue(client);
        assertThat(nonce).startsWith("obMatJos2AAAB").hasSizeLessThan(128);
        assertThat(nonces.check(nonce, client)).isEqualTo(Nonces.Validity.VALID);
        assertThat(nonces.check(nonce, InetAddress.getByName("192.0.2.2"))).isEqualTo(Nonces.Validity.INVALID);
        // an attacker who clears the feature bit to hide PASSWORD-ALGORITHMS breaks the nonce
        String stripped = "obMatJos2AAAA" + nonce.substring(NonceCookie.LENGTH);
        assertThat(nonces.check(stripped, client)).isEqualTo(Nonces.Validity.INVALID);
        Nonces later = new Nonces(new byte[32], Duration.ofMinutes(10),
                Clock.offset(CLOCK, Duration.ofMinutes(11)), NonceCookie.PASSWORD_ALGORITHMS);
        assertThat(later.check(nonce, client)).isEqualTo(Nonces.Validity.STALE);
        assertThat(nonces.check(nonce.substring(NonceCookie.LENGTH), client)).isEqualTo(Nonces.Validity.INVALID);
    }
}
