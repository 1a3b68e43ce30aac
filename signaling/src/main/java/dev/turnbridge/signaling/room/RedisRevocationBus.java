package dev.turnbridge.signaling.room;

import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocations for every node's relay: a room that ended or a member that left for good, on one channel that
 * every node subscribes to ({@code <prefix>revocations}, plain PUBLISH, which a cluster delivers to all its
 * nodes' subscribers). A relay may hold allocations of a member whose signaling is on another node (it moved
 * there on a reconnect, or a client used another node's TURN URIs), so these go to all nodes, not only to
 * those of the room. A message is {@code <node>\n<room>\n<peer id or empty>}; a node drops its own.
 */
public final class RedisRevocationBus {

    private static final Logger log = LoggerFactory.getLogger(RedisRevocationBus.class);

    /** What a node does with another node's revocation. */
    public interface Receiver {
        void receivedRoomEnded(String room);

        void receivedMemberLeft(String room, String peerId);
    }

    private final RedisConnection redis;
    private final String channel;
    private final String node;

    public RedisRevocationBus(RedisConnection redis, String node, Receiver receiver) {
        this.redis = redis;
        this.channel = redis.settings().keyPrefix() + "revocations";
        this.node = node;
        redis.onMessage((ch, message) -> {
            String[] parts = message.split("\n", -1);
            if (!ch.equals(channel) || parts.length != 3) {
                log.debug("dropped a message on {} that is not ours", ch);
            } else if (!parts[0].equals(node)) {
                if (parts[2].isEmpty()) {
                    receiver.receivedRoomEnded(parts[1]);
                } else {
                    receiver.receivedMemberLeft(parts[1], parts[2]);
                }
            }
        });
    }

    /** Subscribes; Lettuce subscribes again by itself after a reconnect. */
    public CompletionStage<Void> start() {
        return redis.pubSub().subscribe(channel).thenApply(v -> null);
    }

    public CompletionStage<Long> roomEnded(String room) {
        return redis.commands().publish(channel, node + "\n" + room + "\n");
    }

    public CompletionStage<Long> memberLeft(String room, String peerId) {
        return redis.commands().publish(channel, node + "\n" + room + "\n" + peerId);
    }
}
