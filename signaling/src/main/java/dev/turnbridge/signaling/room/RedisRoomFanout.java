package dev.turnbridge.signaling.room;

import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RoomFanout} over Redis 7 sharded pub/sub: one channel per room, {@code <prefix>room:{CODE}}, in the
 * room's own slot (its hash tag), so in a cluster a room's traffic stays on the shard that holds the room and
 * goes only to the nodes subscribed to it (SSUBSCRIBE/SPUBLISH). A message is {@code <node id>\n<recipients>\n
 * <text>}, the recipients being {@code <peer id> <inbox position>} pairs for a signal. Order: Redis runs a
 * room's scripts and publishes one after the other on its shard, and delivers a channel's messages in order,
 * so every node receives a room's messages in one order, the order of each member's inbox.
 *
 * <p>Inboxes ({@code inbox:{CODE}:<peer id>}, a stream per member, entries numbered {@code <n>-0}) keep a
 * member's signals until its client acknowledges them ({@link #acknowledged}), as long as the room lives and at
 * most {@link #INBOX_ENTRIES} of them: twice what a node keeps unacknowledged for a member, so a member still
 * within that bound finds everything it has not seen. Members whose clients do not acknowledge (protocol v1)
 * keep the last {@link #INBOX_ENTRIES}.
 */
public final class RedisRoomFanout implements RoomFanout {

    private static final Logger log = LoggerFactory.getLogger(RedisRoomFanout.class);
    private static final RedisScript SIGNAL = RedisScript.load("signal.lua", ScriptOutputType.INTEGER);
    private static final RedisScript RECOVER = RedisScript.load("recover.lua", ScriptOutputType.MULTI);
    /** The most entries one inbox keeps (Redis trims in whole blocks, so a few more may stay). */
    static final int INBOX_ENTRIES = 1024;

    private final RedisConnection redis;
    private final String prefix;
    private final String channelPrefix;
    private final String node;
    private volatile Receiver receiver = (room, own, recipients, message) -> { };

    public RedisRoomFanout(RedisConnection redis, String node) {
        this.redis = redis;
        this.prefix = redis.settings().keyPrefix();
        this.channelPrefix = prefix + "room:{";
        this.node = node;
        redis.onShardMessage(this::received);
    }

    @Override
    public void receiveWith(Receiver receiver) {
        this.receiver = receiver;
    }

    private String channel(String room) {
        return channelPrefix + room + "}";
    }

    private String inboxPrefix(String room) {
        return prefix + "inbox:{" + room + "}:";
    }

    private void received(String channel, String envelope) {
        int first = envelope.indexOf('\n');
        int second = first < 0 ? -1 : envelope.indexOf('\n', first + 1);
        if (!channel.startsWith(channelPrefix) || !channel.endsWith("}") || second < 0) {
            log.debug("dropped a message on {} that is not ours", channel);
            return;
        }
        Map<String, LogPosition> recipients = recipients(envelope.substring(first + 1, second));
        if (recipients == null) {
            log.debug("dropped a message on {} with unreadable recipients", channel);
            return;
        }
        boolean own = first == node.length() && envelope.startsWith(node);
        receiver.receive(channel.substring(channelPrefix.length(), channel.length() - 1), own, recipients,
                envelope.substring(second + 1));
    }

    /** {@code "<peer> <position> <peer> <position> ..."}, or null when malformed. */
    static Map<String, LogPosition> recipients(String text) {
        if (text.isEmpty()) {
            return Map.of();
        }
        String[] words = text.split(" ");
        if (words.length % 2 != 0) {
            return null;
        }
        Map<String, LogPosition> recipients = new LinkedHashMap<>();
        for (int i = 0; i < words.length; i += 2) {
            Optional<LogPosition> at = LogPosition.parse(words[i + 1]);
            if (at.isEmpty()) {
                return null;
            }
            recipients.put(words[i], at.get());
        }
        return recipients;
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
        return redis.commands().spublish(channel(room), node + "\n\n" + message).thenApply(n -> null);
    }

    @Override
    public CompletionStage<Sent> signal(String room, String message, Sender sender) {
        RoomKeys keys = RoomKeys.of(prefix, room);
        return SIGNAL.<Long>run(redis.commands(), new String[] {keys.members(), keys.room(), keys.received(),
                keys.inboxes(), channel(room)}, node, message, Integer.toString(INBOX_ENTRIES), inboxPrefix(room),
                sender.peerId(), Long.toString(sender.seq()), sender.to() == null ? "" : sender.to(),
                sender.self() ? "1" : "0").thenApply(n -> n == -1 ? Sent.NO_ROOM : n == -2 ? Sent.NO_PEER
                        : Sent.DELIVERED);
    }

    @Override
    public CompletionStage<Void> acknowledged(String room, String peer, LogPosition upTo) {
        return redis.commands().xtrim(inboxPrefix(room) + peer,
                io.lettuce.core.XTrimArgs.Builder.minId(new LogPosition(upTo.millis() + 1, 0).toString()))
                .thenApply(n -> null);
    }

    @Override
    public CompletionStage<Recovery> recover(String room, String peer, LogPosition after) {
        RoomKeys keys = RoomKeys.of(prefix, room);
        return RECOVER.<List<Object>>run(redis.commands(), new String[] {inboxPrefix(room) + peer, keys.received(),
                keys.inboxes()}, peer, after.toString(), Integer.toString(INBOX_ENTRIES * 2)).thenApply(reply -> {
                    long received = Long.parseLong((String) reply.get(0));
                    long added = Long.parseLong((String) reply.get(1));
                    Optional<LogPosition> oldest = LogPosition.parse((String) reply.get(2));
                    List<Entry> entries = new ArrayList<>();
                    for (Object item : (List<?>) reply.get(3)) {
                        List<?> entry = (List<?>) item;
                        List<?> fields = (List<?>) entry.get(1);
                        LogPosition at = LogPosition.parse((String) entry.get(0)).orElseThrow();
                        for (int i = 0; i + 1 < fields.size(); i += 2) {
                            if ("m".equals(fields.get(i))) {
                                entries.add(new Entry(at, (String) fields.get(i + 1)));
                            }
                        }
                    }
                    // Entries are numbered 1, 2, ...: the next one the member needs is after.millis + 1.
                    boolean complete = added <= after.millis()
                            || oldest.map(o -> o.millis() <= after.millis() + 1).orElse(false);
                    return new Recovery(received, complete, entries);
                });
    }
}
