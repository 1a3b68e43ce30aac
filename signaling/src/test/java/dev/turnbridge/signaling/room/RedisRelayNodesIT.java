package dev.turnbridge.signaling.room;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.ice.RelayNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RedisRelayNodes}: live relays, stale ones left out and removed, a withdrawn one gone at once. */
class RedisRelayNodesIT {

    private final String prefix = "n" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private RedisConnection connection;

    @AfterEach
    void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @MethodSource("dev.turnbridge.signaling.room.RedisServers#modes")
    void liveRelaysOnlyAndStaleOnesRemoved(String mode) throws Exception {
        connection = RedisConnection.open(RedisServers.settings(mode, prefix, Duration.ofSeconds(15)));
        RedisRelayNodes nodes = new RedisRelayNodes(connection);
        Instant now = Instant.now();
        RelayNode a = new RelayNode("a", List.of("stun:127.0.0.1:3478"), List.of("turn:127.0.0.1:3478?transport=udp"),
                2, 1000);
        RelayNode b = new RelayNode("b", List.of(), List.of("turn:127.0.0.1:3479?transport=udp"), 0, 0);
        await(nodes.publish(a, now.plusSeconds(6)));
        await(nodes.publish(b, now.minusSeconds(1))); // its node stopped renewing it
        assertThat(await(nodes.live(now))).containsExactly(a);
        assertThat(await(connection.commands().hkeys(prefix + "relays"))).containsExactly("a");
        await(nodes.withdraw("a"));
        assertThat(await(nodes.live(now))).isEmpty();
    }
}
