package dev.turnbridge.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoomCredentialTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
        "1800000000:ROOM2345:ann, 1800000000, ROOM2345:ann, ROOM2345, ann",
        "1800000000:alice,        1800000000, alice,        -,        -",
        "1800000000,              1800000000, 1800000000,   -,        -",
        "alice,                   -1,         alice,        -,        -",
        "1800000000:a:b:c,        1800000000, a:b:c,        -,        -",
        "1800000000::ann,         1800000000, :ann,         -,        -",
        "1800000000:ROOM2345:,    1800000000, ROOM2345:,    -,        -",
    })
    void readsTheHolder(String username, long expiry, String id, String room, String member) {
        RoomCredential holder = RoomCredential.of(username);
        assertThat(holder.expiry()).isEqualTo(expiry);
        assertThat(holder.id()).isEqualTo(id);
        assertThat(holder.room()).isEqualTo(room);
        assertThat(holder.member()).isEqualTo(member);
        assertThat(holder.inRoom()).isEqualTo(room != null);
    }
}
