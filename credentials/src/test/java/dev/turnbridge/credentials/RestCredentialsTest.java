package dev.turnbridge.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.config.Secret;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RestCredentialsTest {

    @Test
    void knownAnswerFromTheRestDraft() {
        assertThat(RestCredentials.password(new Secret("north"), "1266890800:mbzrxpgjys"))
                .isEqualTo("nbRcrnq5h6xXhyNhlwk+lDLvVVo=");
    }

    @Test
    void issuesUsernameWithExpiryAndMatchingPassword() {
        Secret secret = new Secret("north");
        var c = RestCredentials.issue(secret, "mbzrxpgjys", Duration.ofSeconds(3600),
                Instant.ofEpochSecond(1266887200));
        assertThat(c.username()).isEqualTo("1266890800:mbzrxpgjys");
        assertThat(c.password()).isEqualTo("nbRcrnq5h6xXhyNhlwk+lDLvVVo=");
        assertThat(c.expiresAt()).isEqualTo(Instant.ofEpochSecond(1266890800));
        assertThat(c.toString()).doesNotContain(c.password());
    }

    @Test
    void expiryParsing() {
        assertThat(RestCredentials.expiryOf("1266890800:abc")).isEqualTo(1266890800L);
        assertThat(RestCredentials.expiryOf("1266890800")).isEqualTo(1266890800L);
        assertThat(RestCredentials.expiryOf("1266890800:room:peer")).isEqualTo(1266890800L);
        assertThat(RestCredentials.expiryOf("alice")).isEqualTo(-1);
        assertThat(RestCredentials.expiryOf(":x")).isEqualTo(-1);
        assertThat(RestCredentials.expiryOf("12a:x")).isEqualTo(-1);
        assertThat(RestCredentials.expiryOf("99999999999999999999:x")).isEqualTo(-1);
    }

    @Test
    void refusesEmptyIdOrTtl() {
        Secret s = new Secret("x");
        assertThatThrownBy(() -> RestCredentials.issue(s, "", Duration.ofSeconds(1), Instant.EPOCH))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RestCredentials.issue(s, "a", Duration.ZERO, Instant.EPOCH))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
