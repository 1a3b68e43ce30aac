package dev.turnbridge.signaling.room;

import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomFanout} over Redis 7 sharded pub/sub: one channel per room, {@code <prefix>room:{CODE}}, in the
 * room's own slot (its hash tag), so in a cluster a room's traffic stays on the shard that holds the room and
 * goes only to the nodes subscribed to it (SSUBSCRIBE/SPUBLISH). A message is {@code <node id>\n<text>}, so
 * a node drops its own. Order: one node publishes over one connection and Redis delivers a channel's
 * messages in order, so what one node publishes to a room arrives in publish order.
 */
public final class RedisRoomFanout implements RoomFanout {

    private static final Logger log = LoggerFactory.getLogger(RedisRoomFanout.class);

    private final RedisConnection redis;
    private final String prefix;
    private final String node;
    private volatile BiConsumer<String, String> receiver = (room, message) -> { };

    public RedisRoomFanout(RedisConnection redis, String node) {
        this.redis = redis;
        this.prefix = redis.settings().keyPrefix() + "room:{";
        this.node = node;
        redis.onShardMessage(this::received);
    }

    @Override
    public void receiveWith(BiConsumer<String, String> receiver) {
        this.receiver = receiver;
    }

    private String channel(String room) {
        return prefix + room + "}";
    }

    private void received(String channel, String envelope) {
        int newline = envelope.indexOf('\n');
        if (!channel.startsWith(prefix) || !channel.endsWith("}") || newline < 0) {
            log.debug("dropped a message on {} that is not ours", channel);
            return;
        }
        if (envelope.regionMatches(0, node, 0, newline) && newline == node.length()) {
            return; // our own, delivered locally already
        }
        receiver.accept(channel.substring(prefix.length(), channel.length() - 1), envelope.substring(newline + 1));
    }

    @Override
    public CompletionStage<Void> subscribe(String room) {
        return redis.ssubscribe(channel(room));
    }

    @Override
    public CompletionStage<Void> unsubscribe(String room) {
        return redis.sunsubscribe(channel(room));
    }

    @Override
    public CompletionStage<Void> publish(String room, String message) {
        return redis.commands().spublish(channel(room), node + "\n" + message).thenApply(n -> null);
    }
}
