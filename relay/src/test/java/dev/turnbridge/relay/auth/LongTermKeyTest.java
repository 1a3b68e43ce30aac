package dev.turnbridge.relay.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.config.AuthSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.relay.stun.PasswordAlgorithm;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LongTermKeyTest {
    private static final String USER = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";

    @Test
    void md5KeyAsRfc5389ClientsComputeIt() {
        assertThat(HexFormat.of().formatHex(LongTermKey.derive(USER, "example.org", "TheMatrIX")))
                .isEqualTo("e8ca7ad59d5eb0518e312911d2dab2a9");
    }

    @Test
    void sha256KeyIsTheDigestOfTheSameString() {
        byte[] key = LongTermKey.derive(USER, "example.org", "TheMatrIX", PasswordAlgorithm.SHA256);
        assertThat(HexFormat.of().formatHex(key))
                .isEqualTo("dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1");
        assertThat(LongTermKey.derive(USER, "example.org", "TheMatrIX", PasswordAlgorithm.MD5)).hasSize(16);
        assertThatThrownBy(() -> LongTermKey.derive("u", "r", "p", 0x7777))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void opaqueStringMapsWideSpacesAndComposes() {
        assertThat(OpaqueString.prepare("pass\u3000word")).isEqualTo("pass word");
        assertThat(OpaqueString.prepare("cafe\u0301")).isEqualTo("caf\u00e9");
        assertThat(OpaqueString.prepare("TheMatrIX")).isEqualTo("TheMatrIX");
    }

    @Test
    void userhashOfRfc8489AppendixB1() {
        assertThat(HexFormat.of().formatHex(Userhash.of(USER, "example.org")))
                .isEqualTo("4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704");
    }

    @Test
    void userhashResolvesStaticUsersOnly() {
        CredentialStore store = new CredentialStore(
                new AuthSettings(List.of(new Secret("north")), false, Map.of(USER, new Secret("TheMatrIX"))),
                "example.org", Clock.systemUTC());
        assertThat(store.usernameFor(Userhash.of(USER, "example.org"))).isEqualTo(USER);
        assertThat(store.usernameFor(Userhash.of("4102444800:alice", "example.org"))).isNull();
        assertThat(store.usernameFor(Userhash.of(USER, "other.org"))).isNull();
        assertThat(store.usernameFor(null)).isNull();
        assertThat(store.keysFor(USER, PasswordAlgorithm.SHA256).keys()).singleElement()
                .isEqualTo(LongTermKey.derive(USER, "example.org", "TheMatrIX", PasswordAlgorithm.SHA256));
    }

    @Test
    void longTermKeyIsMd5OfUserRealmPassword() {
        // RFC 5769 §2.4: user "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", realm "example.org", password "TheMatrIX"
        // after SASLprep; here a plain ASCII case checked against a precomputed MD5.
        byte[] key = LongTermKey.derive("user", "realm", "pass");
        assertThat(key).hasSize(16);
        assertThat(java.util.HexFormat.of().formatHex(key)).isEqualTo("8493fbc53ba582fb4c044c456bdc40eb");
    }
}
