package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.message.Json;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RedisRoomFanout} on a standalone Redis and a 3-master cluster (sharded pub/sub on the room's slot). */
class RedisRoomFanoutIT {

    private final List<RedisConnection> connections = new ArrayList<>();
    private final String prefix = "f" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @AfterEach
    void closeConnections() {
        connections.forEach(RedisConnection::close);
    }

    private RedisRoomFanout node(String mode, String name, BlockingQueue<String> inbox) {
        RedisConnection connection = RedisConnection.open(RedisServers.settings(mode, prefix, Duration.ofSeconds(15)));
        connections.add(connection);
        RedisRoomFanout fanout = new RedisRoomFanout(connection, name);
        fanout.receiveWith((room, own, recipients, message) -> inbox.add(room + " " + message
                + (own ? " (own)" : "") + (recipients.isEmpty() ? "" : " " + recipients)));
        return fanout;
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void aRoomsMessagesReachTheSubscribedNodesInOrderAndNoOthers(String mode) throws Exception {
        BlockingQueue<String> atA = new LinkedBlockingQueue<>();
        BlockingQueue<String> atB = new LinkedBlockingQueue<>();
        BlockingQueue<String> atC = new LinkedBlockingQueue<>();
        RedisRoomFanout a = node(mode, "a", atA);
        RedisRoomFanout b = node(mode, "b", atB);
        node(mode, "c", atC).subscribe("CCCCCCCC").toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.subscribe("ROOMAAAA").toCompletableFuture().get(10, TimeUnit.SECONDS);
        b.subscribe("ROOMAAAA").toCompletableFuture().get(10, TimeUnit.SECONDS);

        for (int i = 0; i < 100; i++) {
            a.publish("ROOMAAAA", "m" + i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(atB.poll(10, TimeUnit.SECONDS)).isEqualTo("ROOMAAAA m" + i);
        }
        b.publish("ROOMAAAA", "back").toCompletableFuture().get(10, TimeUnit.SECONDS);
        // a got its own 100 too, marked, then b's; c, subscribed to another room only, got nothing
        for (int i = 0; i < 100; i++) {
            assertThat(atA.poll(10, TimeUnit.SECONDS)).isEqualTo("ROOMAAAA m" + i + " (own)");
        }
        assertThat(atA.poll(10, TimeUnit.SECONDS)).isEqualTo("ROOMAAAA back");
        assertThat(atC).isEmpty();

        assertThat(atB.poll(10, TimeUnit.SECONDS)).isEqualTo("ROOMAAAA back (own)");
        b.unsubscribe("ROOMAAAA").toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.publish("ROOMAAAA", "after").toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.publish("CCCCCCCC", "to c").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(atC.poll(10, TimeUnit.SECONDS)).isEqualTo("CCCCCCCC to c");
        assertThat(atB).isEmpty();
    }

    private RedisRoomRegistry registry(String mode) {
        RedisConnection connection = RedisConnection.open(RedisServers.settings(mode, prefix, Duration.ofSeconds(15)));
        connections.add(connection);
        return new RedisRoomRegistry(connection, "r", new SecureRandom(), 100, Duration.ofMinutes(1));
    }

    private static String roomWith(RedisRoomRegistry registry, String... peers) throws Exception {
        CreateResult created = registry.create(8, Duration.ofMinutes(5), Instant.now(), null, Room.Visibility.PUBLIC, 0)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        String code = ((CreateResult.Created) created).room().code();
        for (String peer : peers) {
            assertThat(registry.join(code, new Member(peer, Json.object(), null), Instant.now())
                    .toCompletableFuture().get(10, TimeUnit.SECONDS)).isInstanceOf(JoinResult.Joined.class);
        }
        return code;
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void aSignalIsKeptInEachRecipientsInboxAndReachesEveryNodeOfTheRoom(String mode) throws Exception {
        BlockingQueue<String> atA = new LinkedBlockingQueue<>();
        BlockingQueue<String> atB = new LinkedBlockingQueue<>();
        RedisRoomFanout a = node(mode, "a", atA);
        RedisRoomFanout b = node(mode, "b", atB);
        String room = roomWith(registry(mode), "ann", "bob", "cat");
        await(a.subscribe(room));
        await(b.subscribe(room));

        assertThat(await(a.signal(room, "to all", new RoomFanout.Sender("ann", null, false, 1))))
                .isEqualTo(RoomFanout.Sent.DELIVERED);
        String toAll = atB.poll(10, TimeUnit.SECONDS);
        assertThat(atA.poll(10, TimeUnit.SECONDS)).isEqualTo(toAll.replace(" to all", " to all (own)"));
        Map<String, LogPosition> first = RedisRoomFanout.recipients(toAll.substring(toAll.indexOf('{') + 1,
                toAll.length() - 1).replace("=", " ").replace(",", ""));
        assertThat(first).containsOnlyKeys("bob", "cat");

        await(b.signal(room, "to bob, and back", new RoomFanout.Sender("ann", "bob", true, 2)));
        assertThat(atA.poll(10, TimeUnit.SECONDS)).startsWith(room + " to bob, and back {bob=");
        assertThat(atB.poll(10, TimeUnit.SECONDS)).contains("(own)").contains("bob=").contains("ann=");

        // everything kept for the room expires with it
        for (String key : List.of("inbox:{" + room + "}:bob", "inbox:{" + room + "}:ann", "inboxes:{" + room + "}",
                "received:{" + room + "}")) {
            assertThat(await(connections.get(0).commands().pttl(prefix + key))).as(key)
                    .isBetween(Duration.ofMinutes(4).toMillis(), Duration.ofMinutes(5).toMillis());
        }
        RoomFanout.Recovery bob = await(a.recover(room, "bob", LogPosition.START));
        assertThat(bob.complete()).isTrue();
        assertThat(bob.received()).isZero();
        assertThat(bob.entries()).extracting(RoomFanout.Entry::message).containsExactly("to all", "to bob, and back");
        assertThat(bob.entries().get(0).at()).isEqualTo(first.get("bob"));
        // after a position: only what follows it
        assertThat(await(b.recover(room, "bob", first.get("bob"))).entries()).extracting(RoomFanout.Entry::message)
                .containsExactly("to bob, and back");
        RoomFanout.Recovery ann = await(b.recover(room, "ann", LogPosition.START));
        assertThat(ann.received()).isEqualTo(2);
        assertThat(ann.entries()).extracting(RoomFanout.Entry::message).containsExactly("to bob, and back");
        RoomFanout.Recovery cat = await(b.recover(room, "cat", LogPosition.START));
        assertThat(cat.entries()).extracting(RoomFanout.Entry::message).containsExactly("to all");
        assertThat(cat.received()).isZero();
        // a member who left is nobody's recipient; presence goes to the nodes and into no inbox
        await(registry(mode).leave(room, "cat"));
        assertThat(await(a.signal(room, "to cat", new RoomFanout.Sender("ann", "cat", false, 3))))
                .isEqualTo(RoomFanout.Sent.NO_PEER);
        await(a.signal(room, "after cat", new RoomFanout.Sender("ann", null, false, 3)));
        assertThat(atB.poll(10, TimeUnit.SECONDS)).contains("after cat {bob=").doesNotContain("cat=");
        await(a.publish(room, "presence"));
        assertThat(atB.poll(10, TimeUnit.SECONDS)).isEqualTo(room + " presence");
        assertThat(await(a.recover(room, "cat", LogPosition.START)).entries()).hasSize(1);
        assertThat(await(a.signal("GONEGONE", "to nobody", new RoomFanout.Sender("ann", null, false, 4))))
                .isEqualTo(RoomFanout.Sent.NO_ROOM);
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void anInboxTrimmedPastWhatAMemberHasSeenSaysItIsIncomplete(String mode) throws Exception {
        RedisRoomFanout a = node(mode, "a", new LinkedBlockingQueue<>());
        String room = roomWith(registry(mode), "ann", "bob");
        int sent = RedisRoomFanout.INBOX_ENTRIES * 3 / 2;
        List<java.util.concurrent.CompletableFuture<RoomFanout.Sent>> batch = new ArrayList<>();
        for (int i = 1; i <= sent; i++) {
            batch.add(a.signal(room, "m" + i, new RoomFanout.Sender("ann", "bob", false, i)).toCompletableFuture());
            if (batch.size() == 64 || i == sent) {
                java.util.concurrent.CompletableFuture.allOf(batch.toArray(java.util.concurrent.CompletableFuture[]::new))
                        .get(30, TimeUnit.SECONDS);
                batch.clear();
            }
        }
        RoomFanout.Recovery fromStart = await(a.recover(room, "bob", LogPosition.START));
        assertThat(fromStart.complete()).isFalse();
        assertThat(fromStart.entries().size()).isBetween(RedisRoomFanout.INBOX_ENTRIES, sent - 1);
        assertThat(fromStart.entries().get(fromStart.entries().size() - 1).message()).isEqualTo("m" + sent);
        // what is still there is whole from its first entry on
        RoomFanout.Entry kept = fromStart.entries().get(0);
        RoomFanout.Recovery recent = await(a.recover(room, "bob", kept.at()));
        assertThat(recent.complete()).isTrue();
        assertThat(recent.entries()).hasSize(fromStart.entries().size() - 1);
        assertThat(await(a.recover(room, "ann", LogPosition.START)).received()).isEqualTo(sent);

        // what bob's client acknowledged is forgotten; what follows stays whole
        RoomFanout.Entry acknowledged = recent.entries().get(9);
        await(a.acknowledged(room, "bob", acknowledged.at()));
        RoomFanout.Recovery afterAck = await(a.recover(room, "bob", acknowledged.at()));
        assertThat(afterAck.complete()).isTrue();
        assertThat(afterAck.entries()).hasSize(recent.entries().size() - 10);
        assertThat(await(a.recover(room, "bob", kept.at())).complete()).isFalse();
    }
}
