package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.message.Json;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InMemoryRoomRegistryTest {

    private final Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 3);

    private static Member member(String id) {
        return new Member(id, Json.object());
    }

    @Test
    void createsFindsAndCountsMembers() {
        Room room = rooms.create(2, Duration.ofHours(2), now).orElseThrow();

        assertThat(room.expiresAt()).isEqualTo(now.plus(Duration.ofHours(2)));
        assertThat(rooms.join(room.code(), member("a"), now)).isInstanceOf(JoinResult.Joined.class);
        assertThat(rooms.find(room.code()).orElseThrow().members()).extracting(Member::peerId).containsExactly("a");
        assertThat(rooms.leave(room.code(), "a")).isTrue();
        assertThat(rooms.leave(room.code(), "a")).isFalse();
    }

    @Test
    void joinOutcomes() {
        Room room = rooms.create(1, Duration.ofMinutes(1), now).orElseThrow();
        rooms.join(room.code(), member("a"), now);

        assertThat(rooms.join(room.code(), member("b"), now)).isInstanceOf(JoinResult.Full.class);
        assertThat(rooms.join("AAAAAAAA", member("b"), now)).isInstanceOf(JoinResult.NotFound.class);
        rooms.leave(room.code(), "a");
        assertThat(rooms.join(room.code(), member("b"), now.plusSeconds(60))).isInstanceOf(JoinResult.Expired.class);
    }

    @Test
    void removesExpiredRoomsWithTheirMembers() {
        Room shortRoom = rooms.create(2, Duration.ofMinutes(1), now).orElseThrow();
        Room longRoom = rooms.create(2, Duration.ofMinutes(2), now).orElseThrow();
        rooms.join(shortRoom.code(), member("a"), now);

        assertThat(rooms.removeExpired(now.plusSeconds(59))).isEmpty();
        assertThat(rooms.removeExpired(now.plusSeconds(60))).singleElement()
                .satisfies(r -> assertThat(r.members()).extracting(Member::peerId).containsExactly("a"));
        assertThat(rooms.find(shortRoom.code())).isEmpty();
        assertThat(rooms.find(longRoom.code())).isPresent();
    }

    @Test
    void expiresRoomsInDeadlineOrderAndNeverOneThatWasRemoved() {
        InMemoryRoomRegistry many = new InMemoryRoomRegistry(new SecureRandom(), 10);
        Room third = many.create(2, Duration.ofSeconds(30), now).orElseThrow();
        Room first = many.create(2, Duration.ofSeconds(10), now).orElseThrow();
        Room closed = many.create(2, Duration.ofSeconds(20), now).orElseThrow();
        Room sameTime = many.create(2, Duration.ofSeconds(10), now).orElseThrow();
        many.join(first.code(), member("a"), now);
        many.join(third.code(), member("b"), now);
        many.leave(third.code(), "b");
        assertThat(many.remove(closed.code())).isPresent();

        assertThat(many.removeExpired(now.plusSeconds(9))).isEmpty();
        assertThat(many.removeExpired(now.plusSeconds(10))).extracting(Room::code)
                .containsExactlyInAnyOrder(first.code(), sameTime.code());
        assertThat(many.removeExpired(now.plusSeconds(25))).as("the closed room is not expired again").isEmpty();
        assertThat(many.size()).isEqualTo(1);
        assertThat(many.removeExpired(now.plusSeconds(60))).singleElement()
                .satisfies(r -> assertThat(r.code()).isEqualTo(third.code()))
                .satisfies(r -> assertThat(r.members()).isEmpty());
        assertThat(many.removeExpired(now.plusSeconds(3600))).isEmpty();
        assertThat(many.size()).isZero();
    }

    @Test
    void refusesBeyondMaxRooms() {
        for (int i = 0; i < 3; i++) {
            assertThat(rooms.create(2, Duration.ofMinutes(1), now)).isPresent();
        }
        assertThat(rooms.create(2, Duration.ofMinutes(1), now)).isEmpty();
        assertThat(rooms.size()).isEqualTo(3);
    }
}
