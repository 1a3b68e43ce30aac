package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        fanout.receiveWith((room, message) -> inbox.add(room + " " + message));
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
        assertThat(atA.poll(10, TimeUnit.SECONDS)).isEqualTo("ROOMAAAA back");
        // a never got its own 100; c, subscribed to another room only, got nothing
        assertThat(atA).isEmpty();
        assertThat(atC).isEmpty();

        b.unsubscribe("ROOMAAAA").toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.publish("ROOMAAAA", "after").toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.publish("CCCCCCCC", "to c").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(atC.poll(10, TimeUnit.SECONDS)).isEqualTo("CCCCCCCC to c");
        assertThat(atB).isEmpty();
    }
}
