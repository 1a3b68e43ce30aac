package dev.turnbridge.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BearerTokenTest {
    private final BearerToken token = new BearerToken(new Secret("0123456789abcdef"));

    @Test
    void admitsTheTokenAsBearerOrAsBasicPassword() {
        assertThat(token.admits("Bearer 0123456789abcdef")).isTrue();
        assertThat(token.admits("bearer 0123456789abcdef")).isTrue();
        assertThat(token.admits(basic("anyone:0123456789abcdef"))).isTrue();
    }

    @Test
    void refusesMissingWrongAndMalformed() {
        assertThat(token.admits(null)).isFalse();
        assertThat(token.admits("")).isFalse();
        assertThat(token.admits("Bearer ")).isFalse();
        assertThat(token.admits("Bearer 0123456789abcdeF")).isFalse();
        assertThat(token.admits("Bearer 0123456789abcdef0")).isFalse();
        assertThat(token.admits("0123456789abcdef")).isFalse();
        assertThat(token.admits(basic("0123456789abcdef"))).isFalse(); // no colon: no password
        assertThat(token.admits("Basic !!!not-base64")).isFalse();
    }

    @Test
    void anEmptyTokenAdmitsEveryone() {
        BearerToken none = new BearerToken(new Secret(""));
        assertThat(none.required()).isFalse();
        assertThat(none.admits(null)).isTrue();
    }

    @Test
    void roomsAreReadFromSignalingIssuedUsernames() {
        assertThat(RoomUsernames.room("1767225600:ABCD2345:peer1")).isEqualTo("ABCD2345");
        assertThat(RoomUsernames.room("1767225600:alice")).isNull();
        assertThat(RoomUsernames.room("alice")).isNull();
        assertThat(RoomUsernames.room("x1767225600:ABCD2345:peer1")).isNull();
    }

    @Test
    void statusPageEscapesAndMasks() {
        assertThat(StatusPage.escape("<a href=\"x\">&'")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assertThat(StatusPage.mask("ABCD2345")).isEqualTo("AB••••");
    }

    private static String basic(String userPass) {
        return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }
}
