package dev.turnbridge.relay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.AuthSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.auth.CredentialStore.Candidates;
import dev.turnbridge.relay.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CredentialStoreTest {
    private static final String REALM = "turnbridge.test";
    private static final Secret NORTH = new Secret("north");
    private static final Secret SOUTH = new Secret("south");
    /** RestCredentialsTest's known answer: password nbRcrnq5h6xXhyNhlwk+lDLvVVo= under "north". */
    private static final String REST_USER = "1266890800:mbzrxpgjys";

    private final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1266887200));

    private CredentialStore store(List<Secret> secrets) {
        return new CredentialStore(new AuthSettings(secrets, false,
                Map.of("alice", new Secret("wonderland"), "1266890800", new Secret("digits"))), REALM, clock);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void staticUserKeyIsMd5OfUserRealmPassword() {
        Candidates c = store(List.of(NORTH, SOUTH)).keysFor("alice");
        assertThat(c.known()).isTrue();
        assertThat(c.expired()).isFalse();
        // md5("alice:turnbridge.test:wonderland"), computed outside Java
        assertThat(c.keys()).extracting(CredentialStoreTest::hex)
                .containsExactly("804db39ba342b215154c3899cd267d88");
    }

    @Test
    void staticUserWinsOverTheRestShape() {
        Candidates c = store(List.of(NORTH)).keysFor("1266890800");
        assertThat(c.keys()).hasSize(1);
        assertThat(c.keys().get(0)).isEqualTo(LongTermKey.derive("1266890800", REALM, "digits"));
        assertThat(c.expired()).isFalse();
    }

    @Test
    void restUsernameGetsOneKeyPerSecretInOrder() {
        Candidates c = store(List.of(NORTH, SOUTH)).keysFor(REST_USER);
        assertThat(c.known()).isTrue();
        assertThat(c.expired()).isFalse();
        // md5(user:realm:base64(hmac-sha1(secret, user))), computed outside Java
        assertThat(c.keys()).extracting(CredentialStoreTest::hex).containsExactly(
                "d80b14fa300502f5deef86e8c5a9be6e",
                "18d77a2527538b41274623174fa64f10");
    }

    @Test
    void credentialIssuedUnderTheSecondSecretVerifies() {
        // rotation: signaling still issues with the old secret, now listed second
        var issued = RestCredentials.issue(SOUTH, "room42", Duration.ofHours(1), clock.instant());
        Candidates c = store(List.of(NORTH, SOUTH)).keysFor(issued.username());
        assertThat(c.known()).isTrue();
        assertThat(c.keys()).hasSize(2);
        byte[] expected = LongTermKey.derive(issued.username(), REALM, issued.password());
        assertThat(c.keys().get(1)).isEqualTo(expected);
        assertThat(c.keys().get(0)).isNotEqualTo(expected);
        // and once the old secret is removed it no longer verifies
        assertThat(store(List.of(NORTH)).keysFor(issued.username()).keys()).noneMatch(
                k -> java.util.Arrays.equals(k, expected));
    }

    @Test
    void expiredOnceTheTimestampIsReached() {
        CredentialStore store = store(List.of(NORTH));
        clock.advance(Duration.ofSeconds(3599)); // 1266890799
        assertThat(store.keysFor(REST_USER).expired()).isFalse();
        clock.advance(Duration.ofMillis(999));
        assertThat(store.keysFor(REST_USER).expired()).isFalse();
        clock.advance(Duration.ofMillis(1)); // 1266890800
        Candidates c = store.keysFor(REST_USER);
        assertThat(c.expired()).isTrue();
        assertThat(c.known()).as("still known: the caller decides what expired means").isTrue();
        assertThat(c.keys()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mallory", "", ":abc", "12a:abc", "alice ", "ALICE", "99999999999999999999:x"})
    void unknownUsernamesAreNotKnownButCostTheSame(String username) {
        Candidates c = store(List.of(NORTH, SOUTH)).keysFor(username);
        assertThat(c.known()).isFalse();
        assertThat(c.expired()).isFalse();
        assertThat(c.keys()).hasSize(2).allSatisfy(k -> assertThat(k).hasSize(16));
    }

    @Test
    void realmIsExposed() {
        assertThat(store(List.of(NORTH)).realm()).isEqualTo(REALM);
    }
}
