package dev.turnbridge.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.ice.RelayNode;
import dev.turnbridge.signaling.message.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code relay.nodes: redis}: every node publishes its relay's URIs and load in one hash, {@code <prefix>relays}
 * (node id -> {@code {stun, turn, allocations, bytesPerSecond, until}}), and reads the others' from it. An entry
 * whose {@code until} has passed belongs to a node that stopped renewing it (it died): it is left out and
 * removed by whoever reads it. One small key, so one slot in a cluster.
 */
public final class RedisRelayNodes {

    private final RedisConnection redis;
    private final String key;

    public RedisRelayNodes(RedisConnection redis) {
        this.redis = redis;
        this.key = redis.settings().keyPrefix() + "relays";
    }

    /** Publishes this node's relay as live until {@code until}. */
    public CompletionStage<Void> publish(RelayNode self, Instant until) {
        ObjectNode value = Json.object().put("allocations", self.allocations())
                .put("bytesPerSecond", self.bytesPerSecond()).put("until", until.toEpochMilli());
        self.stun().forEach(value.putArray("stun")::add);
        self.turn().forEach(value.putArray("turn")::add);
        return redis.commands().hset(key, self.node(), Json.write(value)).thenApply(added -> null);
    }

    /** The relays live at {@code now}; entries of nodes that stopped renewing them are removed. */
    public CompletionStage<List<RelayNode>> live(Instant now) {
        return redis.commands().hgetall(key).thenApply(entries -> {
            List<RelayNode> live = new ArrayList<>();
            List<String> stale = new ArrayList<>();
            for (Map.Entry<String, String> e : entries.entrySet()) {
                RelayNode node = parse(e.getKey(), e.getValue(), now);
                if (node != null) {
                    live.add(node);
                } else {
                    stale.add(e.getKey());
                }
            }
            if (!stale.isEmpty()) {
                redis.commands().hdel(key, stale.toArray(String[]::new));
            }
            return live;
        });
    }

    /** A node that stops on purpose takes its relay out at once. */
    public CompletionStage<Void> withdraw(String node) {
        return redis.commands().hdel(key, node).thenApply(n -> null);
    }

    private static RelayNode parse(String node, String text, Instant now) {
        try {
            JsonNode v = Json.MAPPER.readTree(text);
            if (v.path("until").asLong() <= now.toEpochMilli()) {
                return null;
            }
            List<String> stun = new ArrayList<>();
            List<String> turn = new ArrayList<>();
            v.path("stun").forEach(u -> stun.add(u.asText()));
            v.path("turn").forEach(u -> turn.add(u.asText()));
            return new RelayNode(node, stun, turn, v.path("allocations").asLong(), v.path("bytesPerSecond").asLong());
        } catch (IOException e) {
            return null;
        }
    }
}
