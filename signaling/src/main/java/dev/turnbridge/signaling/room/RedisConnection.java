package dev.turnbridge.signaling.room;

import dev.turnbridge.config.RedisSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The Lettuce client and connection of {@code signaling.registry: redis}: standalone or cluster, TLS with
 * {@code rediss://}, the password from the URI or {@code redis.password}. Commands are asynchronous; one that
 * is not answered within {@code redis.command-timeout}, or issued while the connection is down, fails at once
 * (at most {@value #QUEUE} wait behind a dead Redis, none longer than the timeout) and Lettuce reconnects by
 * itself in the background.
 * Built by the composition root; messages never carry the URI's password.
 */
public final class RedisConnection implements AutoCloseable {

    /**
     * Commands kept while reconnecting (each still fails after the command timeout); beyond, new ones fail at
     * once. Cluster node connections open on first use, so rejecting every command while disconnected would
     * refuse the first ones. Lettuce applies the same bound to the commands awaiting their replies: 10000 was
     * passed while 10000 clients joined one node (joins refused with "Internal stack size exceeded"), 100000
     * was not (docs/bench-signaling.md). Each command fails after the timeout anyway, so what a dead Redis can
     * hold is also bounded by the command rate times {@code redis.command-timeout}.
     */
    private static final int QUEUE = 100_000;

    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisSettings settings;
    /** The sharded pub/sub connection of the fan-out (a connection in subscriber mode takes no other command). */
    private final StatefulConnection<String, String> pubSubConnection;
    private final RedisPubSubAsyncCommands<String, String> pubSub;
    /** The same connection in cluster mode (node connections for sharded channels), else null. */
    private final StatefulRedisClusterPubSubConnection<String, String> clusterPubSub;
    private volatile BiConsumer<String, String> shardMessages = (channel, message) -> { };
    private volatile BiConsumer<String, String> messages = (channel, message) -> { };

    private RedisConnection(AbstractRedisClient client, StatefulConnection<String, String> connection,
                            RedisClusterAsyncCommands<String, String> commands, RedisSettings settings) {
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.settings = settings;
        if (client instanceof RedisClusterClient cluster) {
            StatefulRedisClusterPubSubConnection<String, String> c = cluster.connectPubSub();
            c.addListener(new RedisClusterPubSubAdapter<String, String>() {
                @Override
                public void smessage(RedisClusterNode node, String channel, String message) {
                    shardMessages.accept(channel, message);
                }

                @Override
                public void message(RedisClusterNode node, String channel, String message) {
                    messages.accept(channel, message);
                }
            });
            // sharded messages arrive on the connection to the shard that owns the channel's slot
            c.setNodeMessagePropagation(true);
            this.pubSubConnection = c;
            this.clusterPubSub = c;
            this.pubSub = c.async();
        } else {
            StatefulRedisPubSubConnection<String, String> c = ((RedisClient) client).connectPubSub();
            c.addListener(new RedisPubSubAdapter<String, String>() {
                @Override
                public void smessage(String channel, String message) {
                    shardMessages.accept(channel, message);
                }

                @Override
                public void message(String channel, String message) {
                    messages.accept(channel, message);
                }
            });
            this.pubSubConnection = c;
            this.clusterPubSub = null;
            this.pubSub = c.async();
        }
    }

    /**
     * SSUBSCRIBE on the connection to the shard that owns the channel's slot (a cluster answers it only
     * there); standalone, on the one pub/sub connection. A slot that moves later (resharding, failover) is
     * not followed: the node subscribes again when it next gets a member in that room.
     */
    CompletionStage<Void> ssubscribe(String channel) {
        return shard(channel).thenCompose(c -> c.ssubscribe(channel)).thenApply(v -> null);
    }

    CompletionStage<Void> sunsubscribe(String channel) {
        return shard(channel).thenCompose(c -> c.sunsubscribe(channel)).thenApply(v -> null);
    }

    private CompletionStage<RedisPubSubAsyncCommands<String, String>> shard(String channel) {
        RedisClusterNode owner = clusterPubSub == null ? null
                : clusterPubSub.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
        if (owner == null) {
            return CompletableFuture.completedFuture(pubSub);
        }
        return clusterPubSub.getConnectionAsync(owner.getNodeId()).thenApply(StatefulRedisPubSubConnection::async);
    }

    /** Where sharded pub/sub messages go: {@code (channel, message)}, on Lettuce's thread. */
    void onShardMessage(BiConsumer<String, String> handler) {
        this.shardMessages = handler;
    }

    /** Where (unsharded) pub/sub messages go: {@code (channel, message)}, on Lettuce's thread. */
    void onMessage(BiConsumer<String, String> handler) {
        this.messages = handler;
    }

    RedisPubSubAsyncCommands<String, String> pubSub() {
        return pubSub;
    }

    /**
     * Connects (blocking: call it at start, never on an event loop).
     *
     * @throws RedisUnavailableException naming the URI without its password when Redis cannot be reached
     */
    public static RedisConnection open(RedisSettings settings) {
        List<RedisURI> uris = settings.uris().stream().map(u -> uri(u, settings)).toList();
        TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
        AbstractRedisClient client = null;
        try {
            if (settings.cluster()) {
                RedisClusterClient cluster = RedisClusterClient.create(uris);
                cluster.setOptions(ClusterClientOptions.builder()
                        .timeoutOptions(timeouts)
                        .requestQueueSize(QUEUE)
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .enableAllAdaptiveRefreshTriggers().enablePeriodicRefresh(Duration.ofSeconds(30))
                                .build())
                        .build());
                client = cluster;
                StatefulRedisClusterConnection<String, String> c = cluster.connect();
                return new RedisConnection(cluster, c, c.async(), settings);
            }
            RedisClient single = RedisClient.create(uris.get(0));
            single.setOptions(ClientOptions.builder()
                    .timeoutOptions(timeouts)
                    .requestQueueSize(QUEUE)
                    .build());
            client = single;
            StatefulRedisConnection<String, String> c = single.connect();
            return new RedisConnection(single, c, c.async(), settings);
        } catch (RedisException e) {
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            throw new RedisUnavailableException("cannot reach Redis at " + String.join(",",
                    settings.uris().stream().map(RedisSettings::redacted).toList())
                    + " (signaling.registry: redis): " + rootMessage(e), e);
        }
    }

    private static RedisURI uri(String text, RedisSettings settings) {
        RedisURI parsed = RedisURI.create(text);
        RedisURI.Builder builder = RedisURI.builder(parsed).withTimeout(settings.commandTimeout());
        if (!settings.password().isEmpty()) {
            builder.withPassword(settings.password().reveal().toCharArray());
        }
        return builder.build();
    }

    /** The cause's message, which for a connection failure names the host and port, never the password. */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    RedisClusterAsyncCommands<String, String> commands() {
        return commands;
    }

    public RedisSettings settings() {
        return settings;
    }

    /** Whether the connection is up now (readiness). */
    public boolean isConnected() {
        return connection.isOpen();
    }

    @Override
    public void close() {
        pubSubConnection.close();
        connection.close();
        client.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
