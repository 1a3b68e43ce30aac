package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoomCodeTest {

    @Test
    void generatedCodesAreEightUnambiguousCharacters() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 1000; i++) {
            assertThat(RoomCode.generate(random)).matches("[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}");
        }
    }

    @Test
    void normalizeUpperCases() {
        assertThat(RoomCode.normalize("abcd2345")).contains("ABCD2345");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ABCD234", "ABCD23456", "ABCD2340", "ABCDO234", "ABCDI234", "ABCD1234", "ABC 2345",
            "../../xx"})
    void rejectsWhatCannotBeACode(String text) {
        assertThat(RoomCode.normalize(text)).isEmpty();
    }
}
