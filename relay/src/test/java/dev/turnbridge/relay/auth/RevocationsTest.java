package dev.turnbridge.relay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.credentials.RoomCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RevocationsTest {
    private static final long NOW = 1_800_000_000L;

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "1800003600:ROOM2345:ann, true",    // issued before the room ended: its expiry is within the entry
        "1800000001:ROOM2345:ben, true",
        "1800003601:ROOM2345:ann, false",   // issued after (a new room with the same code)
        "1800000500:ROOM6789:ann, false",   // another room
        "1800000500:alice, false",          // no room at all
        "1800000500:ROOM2345, false",       // a plain REST id that looks like a code
    })
    void aRoomRevocationCoversItsCredentialsIssuedSoFar(String username, boolean revoked) {
        Revocations revocations = new Revocations();
        revocations.revokeRoom("ROOM2345", NOW + 3600, NOW);
        assertThat(revocations.isRevoked(RoomCredential.of(username))).isEqualTo(revoked);
    }

    @Test
    void aMemberRevocationLeavesTheOtherMembers() {
        Revocations revocations = new Revocations();
        revocations.revokeMember("ROOM2345", "ann", NOW + 3600, NOW);
        assertThat(revocations.isRevoked(RoomCredential.of("1800000500:ROOM2345:ann"))).isTrue();
        assertThat(revocations.isRevoked(RoomCredential.of("1800000500:ROOM2345:ben"))).isFalse();
        assertThat(revocations.isRevoked(RoomCredential.of("1800000500:ROOM2345:annx"))).isFalse();
    }

    @Test
    void entriesLiveUntilEveryCredentialTheyCoverHasExpired() {
        Revocations revocations = new Revocations();
        for (int i = 0; i < 10_000; i++) {
            revocations.revokeRoom("R" + i, NOW + 60, NOW);
        }
        revocations.revokeMember("ROOM2345", "ann", NOW + 120, NOW);
        revocations.revokeMember("ROOM2345", "ann", NOW + 90, NOW); // the later until wins, one entry
        assertThat(revocations.size()).isEqualTo(10_001);
        revocations.sweep(NOW + 60);
        assertThat(revocations.size()).as("until is inclusive").isEqualTo(10_001);
        revocations.sweep(NOW + 61);
        assertThat(revocations.size()).isEqualTo(1);
        assertThat(revocations.isRevoked(RoomCredential.of((NOW + 100) + ":ROOM2345:ann"))).isTrue();
        // every revocation sweeps too: a steady stream of revocations holds one credential lifetime's worth
        for (int i = 0; i < 1000; i++) {
            long now = NOW + 200 + i;
            revocations.revokeRoom("S" + i, now + 60, now);
        }
        assertThat(revocations.size()).isEqualTo(61);
    }
}
