package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.config.RedisSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.testing.RedisProcess;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RedisRoomRegistry} against real Redis servers of the test's own: a standalone one and a 3-master
 * cluster. Two registries on two connections stand for two nodes; each test uses its own key prefix.
 */
class RedisRoomRegistryIT {

    private static final Duration LEASE = Duration.ofSeconds(3);
    private final List<RedisConnection> connections = new ArrayList<>();
    private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @AfterEach
    void closeConnections() {
        connections.forEach(RedisConnection::close);
    }

    private RedisSettings settings(String mode) {
        return RedisServers.settings(mode, prefix, LEASE);
    }

    /** One node's registry on its own connection. */
    private RedisRoomRegistry node(String mode, String name, int maxRooms) {
        RedisConnection connection = RedisConnection.open(settings(mode));
        connections.add(connection);
        return new RedisRoomRegistry(connection, name, new SecureRandom(), maxRooms, Duration.ofHours(1));
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Member member(String id) {
        return new Member(id, Json.object().put("name", "n-" + id), "user-" + id);
    }

    private static Room created(CreateResult result) {
        assertThat(result).isInstanceOf(CreateResult.Created.class);
        return ((CreateResult.Created) result).room();
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void createsFindsJoinsAndLeavesAcrossNodes(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 100);
        RedisRoomRegistry b = node(mode, "b", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(3, Duration.ofHours(1), now, "alice", Room.Visibility.PRIVATE, 10)));

        assertThat(await(b.join(room.code(), member("p1"), now))).isInstanceOf(JoinResult.Joined.class);
        JoinResult second = await(a.join(room.code(), member("p2"), now));
        assertThat(second).isInstanceOf(JoinResult.Joined.class);
        Room seen = await(b.find(room.code())).orElseThrow();
        assertThat(seen.members()).extracting(Member::peerId).containsExactly("p1", "p2");
        assertThat(seen.members().get(0).meta().get("name").asText()).isEqualTo("n-p1");
        assertThat(seen.members().get(0).userId()).isEqualTo("user-p1");
        assertThat(seen).extracting(Room::capacity, Room::creator, Room::visibility)
                .containsExactly(3, "alice", Room.Visibility.PRIVATE);
        assertThat(seen.expiresAt().toEpochMilli()).isEqualTo(now.plus(Duration.ofHours(1)).toEpochMilli());

        assertThat(await(a.leave(room.code(), "p1"))).isTrue();
        assertThat(await(b.leave(room.code(), "p1"))).isFalse();
        assertThat(await(b.find(room.code())).orElseThrow().members()).extracting(Member::peerId)
                .containsExactly("p2");
        assertThat(await(a.list())).extracting(Room::code).containsExactly(room.code());
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void joinOutcomesAndRetiredCodes(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(1, Duration.ofMillis(800), now, null, Room.Visibility.PUBLIC, 1)));
        await(a.join(room.code(), member("p1"), now));

        assertThat(await(a.join(room.code(), member("p2"), now))).isInstanceOf(JoinResult.Full.class);
        assertThat(await(a.join("AAAAAAAA", member("p2"), now))).isInstanceOf(JoinResult.NotFound.class);
        assertThat(await(a.isRetired("AAAAAAAA"))).isFalse();
        assertThat(await(a.isRetired(room.code()))).isFalse();
        // By this node's clock it has expired, although Redis has not dropped the key yet.
        assertThat(await(a.join(room.code(), member("p2"), now.plusSeconds(1))))
                .isInstanceOf(JoinResult.Expired.class);

        // The key's TTL is the room's expiry: it goes by itself, and its code stays reserved.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (await(a.find(room.code())).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(await(a.find(room.code()))).isEmpty();
        assertThat(await(a.isRetired(room.code()))).isTrue();
        assertThat(await(a.join(room.code(), member("p3"), Instant.now()))).isInstanceOf(JoinResult.Expired.class);
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void anOperatorRemovalReturnsTheMembersAndKeepsTheCodeReserved(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(2, Duration.ofHours(1), now, "alice", Room.Visibility.PUBLIC, 1)));
        await(a.join(room.code(), member("p1"), now));

        assertThat(await(a.remove(room.code())).orElseThrow().members()).extracting(Member::peerId)
                .containsExactly("p1");
        assertThat(await(a.remove(room.code()))).isEmpty();
        assertThat(await(a.find(room.code()))).isEmpty();
        assertThat(await(a.isRetired(room.code()))).isTrue();
        assertThat(await(a.join(room.code(), member("p2"), now))).isInstanceOf(JoinResult.Expired.class);
        // the creator's slot is given back
        assertThat(await(a.create(2, Duration.ofHours(1), now, "alice", Room.Visibility.PUBLIC, 1)))
                .isInstanceOf(CreateResult.Created.class);
    }

    /**
     * The seat race: a room with one seat left, two nodes joining it at the same moment, many times. Exactly
     * one join wins each time, whichever node it came through.
     */
    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void twoNodesRacingForTheLastSeatNeverBothWin(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 10_000);
        RedisRoomRegistry b = node(mode, "b", 10_000);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        int trials = 200;
        int aWon = 0;
        int bWon = 0;
        try {
            for (int trial = 0; trial < trials; trial++) {
                Instant now = Instant.now();
                Room room = created(await(a.create(2, Duration.ofMinutes(5), now, null, Room.Visibility.PUBLIC, 1)));
                await(a.join(room.code(), member("first"), now));
                CountDownLatch go = new CountDownLatch(1);
                Future<JoinResult> viaA = threads.submit(() -> {
                    go.await();
                    return await(a.join(room.code(), member("x" + room.code()), now));
                });
                Future<JoinResult> viaB = threads.submit(() -> {
                    go.await();
                    return await(b.join(room.code(), member("y" + room.code()), now));
                });
                go.countDown();
                JoinResult ra = viaA.get(10, TimeUnit.SECONDS);
                JoinResult rb = viaB.get(10, TimeUnit.SECONDS);
                assertThat(List.of(ra, rb)).as("trial %d", trial)
                        .filteredOn(r -> r instanceof JoinResult.Joined).hasSize(1);
                assertThat(List.of(ra, rb)).filteredOn(r -> r instanceof JoinResult.Full).hasSize(1);
                assertThat(await(b.find(room.code())).orElseThrow().members()).hasSize(2);
                aWon += ra instanceof JoinResult.Joined ? 1 : 0;
                bWon += rb instanceof JoinResult.Joined ? 1 : 0;
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(aWon + bWon).isEqualTo(trials);
    }

    /** Many joiners on two nodes for a room of 5: exactly 5 seats are taken, never a sixth. */
    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void concurrentJoinsFillACapacityExactly(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 100);
        RedisRoomRegistry b = node(mode, "b", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(5, Duration.ofMinutes(5), now, null, Room.Visibility.PUBLIC, 1)));
        List<CompletionStage<JoinResult>> joins = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            joins.add((i % 2 == 0 ? a : b).join(room.code(), member("m" + i), now));
        }
        List<JoinResult> results = new ArrayList<>();
        for (CompletionStage<JoinResult> join : joins) {
            results.add(await(join));
        }
        assertThat(results).filteredOn(r -> r instanceof JoinResult.Joined).hasSize(5);
        assertThat(results).filteredOn(r -> r instanceof JoinResult.Full).hasSize(35);
        assertThat(await(a.find(room.code())).orElseThrow().members()).hasSize(5);
    }

    /** max-rooms and rooms-per-user hold across nodes: counted and reserved atomically. */
    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void roomLimitsHoldAcrossNodes(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 6);
        RedisRoomRegistry b = node(mode, "b", 6);
        Instant now = Instant.now();
        List<CompletionStage<CreateResult>> creations = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            creations.add((i % 2 == 0 ? a : b).create(2, Duration.ofMinutes(5), now, "bob",
                    Room.Visibility.PUBLIC, 4));
        }
        List<CreateResult> results = new ArrayList<>();
        for (CompletionStage<CreateResult> c : creations) {
            results.add(await(c));
        }
        assertThat(results).filteredOn(r -> r instanceof CreateResult.Created).hasSize(4);
        assertThat(results).filteredOn(r -> r instanceof CreateResult.CreatorLimit).hasSize(6);

        creations.clear();
        for (int i = 0; i < 6; i++) {
            creations.add((i % 2 == 0 ? a : b).create(2, Duration.ofMinutes(5), now, null,
                    Room.Visibility.PUBLIC, 4));
        }
        results.clear();
        for (CompletionStage<CreateResult> c : creations) {
            results.add(await(c));
        }
        assertThat(results).filteredOn(r -> r instanceof CreateResult.Created).hasSize(2);
        assertThat(results).filteredOn(r -> r instanceof CreateResult.ServerFull).hasSize(4);
        assertThat(await(a.list())).hasSize(6);
        // rooms that expired free their places (by the calling node's clock)
        assertThat(await(b.create(2, Duration.ofMinutes(5), now.plus(Duration.ofMinutes(6)), "bob",
                Room.Visibility.PUBLIC, 4))).isInstanceOf(CreateResult.Created.class);
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void listsEveryLiveRoomBatchAfterBatch(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 1000);
        Instant now = Instant.now();
        List<CompletionStage<CreateResult>> creations = new ArrayList<>();
        int total = RedisRoomRegistry.LIST_BATCH * 2 + 7;
        for (int i = 0; i < total; i++) {
            creations.add(a.create(2, Duration.ofMinutes(5), now, null, Room.Visibility.PUBLIC, 1000));
        }
        java.util.Set<String> codes = new java.util.HashSet<>();
        for (CompletionStage<CreateResult> c : creations) {
            codes.add(created(await(c)).code());
        }
        assertThat(await(a.list())).extracting(Room::code).containsExactlyInAnyOrderElementsOf(codes);
        // counted without reading them; none live once they expired
        assertThat(await(a.count(Instant.now()))).isEqualTo(total);
        assertThat(await(a.count(now.plus(Duration.ofMinutes(6))))).isZero();
    }

    /**
     * Presence leases: node b renews its member; node a "dies" (never renews). Within the lease a's member is
     * still there; once the lease lapsed, b's next renewal removes it and reports it (for the leave diff), and
     * its seat is free again.
     */
    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void aDeadNodesMembersLapseAfterTheLease(String mode) throws Exception {
        RedisRoomRegistry a = node(mode, "a", 100);
        RedisRoomRegistry b = node(mode, "b", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(2, Duration.ofMinutes(5), now, null, Room.Visibility.PUBLIC, 1)));
        await(a.join(room.code(), member("onA"), now));
        await(b.join(room.code(), member("onB"), now));

        Instant within = now.plus(LEASE).minusMillis(100);
        AsyncRoomRegistry.Renewal early = await(b.renew(room.code(), List.of("onB"), within));
        assertThat(early.lapsed()).isEmpty();
        assertThat(early.gone()).isEmpty();
        assertThat(await(b.join(room.code(), member("late"), within))).isInstanceOf(JoinResult.Full.class);

        Instant after = now.plus(LEASE).plusMillis(100);
        AsyncRoomRegistry.Renewal renewal = await(b.renew(room.code(), List.of("onB"), after));
        assertThat(renewal.lapsed()).extracting(Member::peerId).containsExactly("onA");
        assertThat(renewal.gone()).isEmpty();
        assertThat(await(b.find(room.code())).orElseThrow().members()).extracting(Member::peerId)
                .containsExactly("onB");
        // a's member is gone for a too: its node, were it to come back, learns it on its next renewal
        assertThat(await(a.renew(room.code(), List.of("onA"), after)).gone()).containsExactly("onA");
        assertThat(await(b.join(room.code(), member("late"), after))).isInstanceOf(JoinResult.Joined.class);
    }

    @Test
    void lapsedMembersGiveTheirSeatToAJoin() throws Exception {
        RedisRoomRegistry a = node("standalone", "a", 100);
        Instant now = Instant.now();
        Room room = created(await(a.create(1, Duration.ofMinutes(5), now, null, Room.Visibility.PUBLIC, 1)));
        await(a.join(room.code(), member("ghost"), now));

        assertThat(await(a.join(room.code(), member("next"), now.plus(LEASE).plusMillis(1))))
                .isInstanceOf(JoinResult.Joined.class);
        assertThat(await(a.find(room.code())).orElseThrow().members()).extracting(Member::peerId)
                .containsExactly("next");
    }

    @Test
    void redisDownAtStartIsOneClearErrorWithoutThePassword() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisSettings nowhere = new RedisSettings("redis://:hunter2-secret@127.0.0.1:" + port, new Secret(""),
                false, prefix, LEASE, Duration.ofMillis(500));
        assertThatThrownBy(() -> RedisConnection.open(nowhere))
                .isInstanceOf(RedisUnavailableException.class)
                .hasMessageContaining("cannot reach Redis at redis://<redacted>@127.0.0.1:" + port)
                .hasMessageNotContaining("hunter2");
    }

    /**
     * Redis lost while running: commands fail within the command timeout (the caller answers unavailable),
     * nothing hangs; when it is back the same connection works again by itself, and the rooms are still there
     * (its AOF).
     */
    @Test
    void redisLostWhileRunningFailsFastThenRecoversByItself() throws Exception {
        RedisProcess own = RedisProcess.standalone();
        try {
            RedisConnection connection = RedisConnection.open(new RedisSettings(own.uri(), new Secret(""), false,
                    prefix, LEASE, Duration.ofMillis(500)));
            connections.add(connection);
            RedisRoomRegistry a = new RedisRoomRegistry(connection, "a", new SecureRandom(), 100, Duration.ZERO);
            Room room = created(await(a.create(2, Duration.ofMinutes(5), Instant.now(), null,
                    Room.Visibility.PUBLIC, 1)));

            own.kill();
            // within the command timeout, not after Lettuce's queue or a TCP timeout (await gives up at 10 s)
            assertThatThrownBy(() -> await(a.join(room.code(), member("p"), Instant.now())))
                    .isInstanceOf(java.util.concurrent.ExecutionException.class);

            own.restart();
            Supplier<Boolean> joined = () -> {
                try {
                    return await(a.join(room.code(), member("p"), Instant.now())) instanceof JoinResult.Joined;
                } catch (Exception notYet) {
                    return false;
                }
            };
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean ok = false;
            while (!ok && System.nanoTime() < deadline) {
                ok = joined.get();
                if (!ok) {
                    Thread.sleep(200);
                }
            }
            assertThat(ok).as("joined after Redis came back").isTrue();
        } finally {
            own.close();
        }
    }
}
