package dev.turnbridge.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.Json;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Rooms shared by every node that uses the same Redis. Per room, under the hash tag {@code {CODE}} (one
 * cluster slot, so one Lua script sees them all):
 * <ul>
 *   <li>{@code room:{CODE}}: a hash of capacity, created, expires, creator, visibility and a join counter; its TTL
 *       is the room's expiry, so an expired room is gone from Redis without anyone sweeping;</li>
 *   <li>{@code members:{CODE}}: peer id -> {@code "<join order> <member JSON>"} (meta, verified user id, node);</li>
 *   <li>{@code leases:{CODE}}: peer id -> when its presence lease ends; its node renews it every third of
 *       {@code redis.presence-lease}, and a lapsed member (its node died) is removed by the next join or renewal;</li>
 *   <li>{@code code:{CODE}}: the code's reservation, for the room's life plus {@code reservation}, so a code is
 *       never given out twice while links to it may be around ({@link #isRetired}).</li>
 * </ul>
 * {@link RedisRoomFanout} keeps a room's signals beside them, under the same tag: {@code inbox:{CODE}:<peer id>},
 * {@code inboxes:{CODE}} and {@code received:{CODE}}.
 * Beside them, in their own slots, the live-room index {@code rooms} (code -> expiry: {@code max-rooms},
 * the admin list) and one index per creator {@code creator:<sub>} ({@code rooms-per-user}). A creation reserves
 * in both indexes (each an atomic script) before it writes the room, and gives the reservations back when a
 * later step refuses, so both limits hold across nodes. Times are the calling node's clock.
 */
public final class RedisRoomRegistry implements AsyncRoomRegistry {

    private static final RedisScript RESERVE = RedisScript.load("reserve.lua", ScriptOutputType.INTEGER);
    private static final RedisScript CREATE = RedisScript.load("create.lua", ScriptOutputType.INTEGER);
    private static final RedisScript JOIN = RedisScript.load("join.lua", ScriptOutputType.MULTI);
    private static final RedisScript LEAVE = RedisScript.load("leave.lua", ScriptOutputType.INTEGER);
    private static final RedisScript RENEW = RedisScript.load("renew.lua", ScriptOutputType.MULTI);
    private static final RedisScript REMOVE = RedisScript.load("remove.lua", ScriptOutputType.MULTI);
    /** Rooms read per round trip of {@link #list()}. */
    static final int LIST_BATCH = 64;
    /** A fresh code collides with a live or reserved one about once in 10^8 creations; give up after a few. */
    private static final int CODE_ATTEMPTS = 8;

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String prefix;
    private final String node;
    private final SecureRandom random;
    private final int maxRooms;
    private final Duration reservation;
    private final Duration lease;

    /**
     * @param connection  the shared connection
     * @param node        this node's id, recorded with its members (which node holds a member's socket)
     * @param maxRooms    live rooms across all nodes
     * @param reservation how long a code stays reserved after its room expired
     */
    public RedisRoomRegistry(RedisConnection connection, String node, SecureRandom random, int maxRooms,
                             Duration reservation) {
        this.redis = connection.commands();
        this.prefix = connection.settings().keyPrefix();
        this.lease = connection.settings().presenceLease();
        this.node = node;
        this.random = random;
        this.maxRooms = maxRooms;
        this.reservation = reservation.isNegative() ? Duration.ZERO : reservation;
    }

    /** How long a member's presence outlives its node's last renewal. */
    public Duration lease() {
        return lease;
    }

    private String[] roomKeys(String code) {
        RoomKeys keys = RoomKeys.of(prefix, code);
        return new String[] {keys.room(), keys.members(), keys.leases(), keys.code()};
    }

    private String index() {
        return prefix + "rooms";
    }

    private String creatorIndex(String creator) {
        return prefix + "creator:" + creator;
    }

    @Override
    public CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now, String creator,
                                                Room.Visibility visibility, int perCreator) {
        return create(capacity, ttl, now, creator, visibility, perCreator, CODE_ATTEMPTS);
    }

    private CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now, String creator,
                                                 Room.Visibility visibility, int perCreator, int attempts) {
        if (attempts == 0) {
            return CompletableFuture.failedFuture(new IllegalStateException("no free room code found"));
        }
        String code = RoomCode.generate(random);
        Instant expires = now.plus(ttl);
        String expiresMs = Long.toString(expires.toEpochMilli());
        String nowMs = Long.toString(now.toEpochMilli());
        // The creator's count first: a user at its limit never holds a place in the global count, even briefly.
        CompletionStage<Long> perUser = creator == null ? CompletableFuture.completedFuture(1L)
                : RESERVE.run(redis, new String[] {creatorIndex(creator)}, code, expiresMs, nowMs,
                        Integer.toString(perCreator));
        return perUser.thenCompose(mine -> {
            if (mine == -1) {
                return create(capacity, ttl, now, creator, visibility, perCreator, attempts - 1);
            }
            if (mine == 0) {
                return CompletableFuture.completedFuture(new CreateResult.CreatorLimit(perCreator));
            }
            return RESERVE.<Long>run(redis, new String[] {index()}, code, expiresMs, nowMs,
                    Integer.toString(maxRooms)).thenCompose(reserved -> {
                        if (reserved != 1) {
                            return unreserve(code, creator, false).thenCompose(v -> reserved == -1
                                    ? create(capacity, ttl, now, creator, visibility, perCreator, attempts - 1)
                                    : CompletableFuture.completedFuture(new CreateResult.ServerFull()));
                        }
                        String[] keys = roomKeys(code);
                        return CREATE.<Long>run(redis, new String[] {keys[0], keys[3]}, Integer.toString(capacity),
                                nowMs, expiresMs, creator == null ? "" : creator, visibility.name(),
                                Long.toString(expires.plus(reservation).toEpochMilli())).thenCompose(created -> {
                                    if (created == 1) {
                                        return CompletableFuture.completedFuture((CreateResult) new CreateResult
                                                .Created(new Room(code, capacity, now, expires, List.of(), creator,
                                                visibility)));
                                    }
                                    return unreserve(code, creator, true).thenCompose(v -> create(capacity, ttl,
                                            now, creator, visibility, perCreator, attempts - 1));
                                });
                    });
        });
    }

    /** Gives back the index entries of a creation that a later step refused. */
    private CompletionStage<Void> unreserve(String code, String creator, boolean inIndex) {
        CompletionStage<Long> index = inIndex ? redis.zrem(index(), code) : CompletableFuture.completedFuture(0L);
        CompletionStage<Long> user = creator == null ? CompletableFuture.completedFuture(0L)
                : redis.zrem(creatorIndex(creator), code);
        return index.thenCombine(user, (a, b) -> null);
    }

    @Override
    public CompletionStage<Optional<Room>> find(String code) {
        String[] keys = roomKeys(code);
        CompletionStage<Map<String, String>> fields = redis.hgetall(keys[0]);
        CompletionStage<Map<String, String>> members = redis.hgetall(keys[1]);
        return fields.thenCombine(members, (f, m) -> f.isEmpty() ? Optional.empty()
                : Optional.of(room(code, f, m)));
    }

    @Override
    public CompletionStage<JoinResult> join(String code, Member member, Instant now) {
        ObjectNode value = Json.object();
        value.set("meta", member.meta());
        if (member.userId() != null) {
            value.put("user", member.userId());
        }
        value.put("node", node);
        String[] keys = roomKeys(code);
        return JOIN.<List<Object>>run(redis, keys, member.peerId(), Json.write(value),
                Long.toString(now.toEpochMilli()), Long.toString(now.plus(lease).toEpochMilli())).thenApply(reply -> {
                    String status = (String) reply.get(0);
                    switch (status) {
                        case "not_found" -> {
                            return new JoinResult.NotFound();
                        }
                        case "expired" -> {
                            List<?> fields = (List<?>) reply.get(1);
                            if (fields.isEmpty()) {
                                // gone from Redis with its TTL; what is left is its code's reservation
                                Instant expired = Instant.ofEpochMilli(Long.parseLong((String) reply.get(4)));
                                return new JoinResult.Expired(new Room(code, 0, expired, expired, List.of()));
                            }
                            return new JoinResult.Expired(room(code, pairs(fields), pairs((List<?>) reply.get(2))));
                        }
                        default -> {
                            Room room = room(code, pairs((List<?>) reply.get(1)), pairs((List<?>) reply.get(2)));
                            return "full".equals(status) ? new JoinResult.Full(room) : new JoinResult.Joined(room);
                        }
                    }
                });
    }

    @Override
    public CompletionStage<Boolean> leave(String code, String peerId) {
        String[] keys = roomKeys(code);
        return LEAVE.<Long>run(redis, new String[] {keys[1], keys[2]}, peerId).thenApply(n -> n == 1);
    }

    @Override
    public CompletionStage<Boolean> isRetired(String code) {
        String[] keys = roomKeys(code);
        return redis.exists(keys[0], keys[3]).thenApply(n -> n == 1);
    }

    @Override
    public CompletionStage<Optional<Room>> remove(String code) {
        return REMOVE.<List<Object>>run(redis, roomKeys(code)).thenCompose(reply -> {
            Map<String, String> fields = pairs((List<?>) reply.get(0));
            if (fields.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<Room>empty());
            }
            Room room = room(code, fields, pairs((List<?>) reply.get(1)));
            return unreserve(code, room.creator(), true).thenApply(v -> Optional.of(room));
        });
    }

    @Override
    public CompletionStage<List<Room>> list() {
        return redis.zrangebyscore(index(), Range.create(System.currentTimeMillis(), Double.POSITIVE_INFINITY))
                .thenCompose(codes -> listFrom(codes, 0, new ArrayList<>()));
    }

    @Override
    public CompletionStage<Integer> count(Instant now) {
        return redis.zcount(index(), Range.create(now.toEpochMilli(), Double.POSITIVE_INFINITY))
                .thenApply(Long::intValue);
    }

    /**
     * Reads the rooms {@value #LIST_BATCH} at a time, each batch once the one before has answered. All at once,
     * 5000 rooms were 10000 commands on the connection every refresh of the status page's list: the signals'
     * room reads waited behind them (p99 about 100 ms) and the burst passed Lettuce's bound.
     */
    private CompletionStage<List<Room>> listFrom(List<String> codes, int from, List<Room> found) {
        if (from >= codes.size()) {
            return CompletableFuture.completedFuture(found);
        }
        List<CompletableFuture<Optional<Room>>> batch = codes.subList(from, Math.min(codes.size(), from + LIST_BATCH))
                .stream().map(code -> find(code).toCompletableFuture()).toList();
        return CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            batch.forEach(room -> room.join().ifPresent(found::add));
            return listFrom(codes, from + LIST_BATCH, found);
        });
    }

    /** {@code seat:<peer id>}: a plain key in its own slot, living as long as the room. */
    @Override
    public CompletionStage<Void> saveSeat(String peerId, Seat seat, Instant until) {
        ObjectNode value = Json.object().put("room", seat.room()).put("hash", seat.secretHash())
                .put("self", seat.self()).put("ack", seat.ack()).put("seq", seat.seq());
        return redis.set(prefix + "seat:" + peerId, Json.write(value),
                io.lettuce.core.SetArgs.Builder.pxAt(until.toEpochMilli())).thenApply(ok -> null);
    }

    @Override
    public CompletionStage<Optional<Seat>> seat(String peerId) {
        return redis.get(prefix + "seat:" + peerId).thenApply(text -> {
            if (text == null) {
                return Optional.<Seat>empty();
            }
            try {
                JsonNode v = Json.MAPPER.readTree(text);
                return Optional.of(new Seat(v.path("room").asText(), v.path("hash").asText(),
                        v.path("self").asBoolean(), v.path("ack").asBoolean(), v.path("seq").asBoolean()));
            } catch (IOException e) {
                return Optional.<Seat>empty();
            }
        });
    }

    @Override
    public CompletionStage<Boolean> claim(String code, String peerId, Instant now) {
        String[] keys = roomKeys(code);
        return RENEW.<List<Object>>run(redis, new String[] {keys[1], keys[2]}, Long.toString(now.toEpochMilli()),
                Long.toString(now.plus(lease).toEpochMilli()), peerId)
                .thenApply(reply -> !((List<?>) reply.get(0)).contains(peerId));
    }

    /** A third of the lease: two renewals may fail (a slow Redis, a long pause) before a live member lapses. */
    @Override
    public Duration renewalInterval() {
        return lease.dividedBy(3);
    }

    /** Drops expired codes from the live-room index; the rooms themselves went with their keys' TTL. */
    @Override
    public CompletionStage<List<Room>> removeExpired(Instant now) {
        return redis.zremrangebyscore(index(), Range.create(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()))
                .thenApply(n -> List.<Room>of());
    }

    @Override
    public CompletionStage<Renewal> renew(String code, Collection<String> peerIds, Instant now) {
        String[] keys = roomKeys(code);
        List<String> args = new ArrayList<>(peerIds.size() + 2);
        args.add(Long.toString(now.toEpochMilli()));
        args.add(Long.toString(now.plus(lease).toEpochMilli()));
        args.addAll(peerIds);
        return RENEW.<List<Object>>run(redis, new String[] {keys[1], keys[2]}, args.toArray(String[]::new))
                .thenApply(reply -> {
                    List<String> gone = ((List<?>) reply.get(0)).stream().map(String.class::cast).toList();
                    List<Member> lapsed = new ArrayList<>();
                    pairs((List<?>) reply.get(1)).forEach((id, value) -> lapsed.add(member(id, value).member()));
                    return new Renewal(gone, lapsed);
                });
    }

    private static Map<String, String> pairs(List<?> flat) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return map;
    }

    private static Room room(String code, Map<String, String> f, Map<String, String> members) {
        List<Member> ordered = members.entrySet().stream().map(e -> member(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(Stored::order)).map(Stored::member).toList();
        String creator = f.getOrDefault("creator", "");
        return new Room(code, Integer.parseInt(f.get("capacity")),
                Instant.ofEpochMilli(Long.parseLong(f.get("created"))),
                Instant.ofEpochMilli(Long.parseLong(f.get("expires"))), ordered,
                creator.isEmpty() ? null : creator, Room.Visibility.valueOf(f.get("visibility")));
    }

    private record Stored(long order, Member member) {
    }

    private static Stored member(String peerId, String value) {
        int space = value.indexOf(' ');
        try {
            JsonNode json = Json.MAPPER.readTree(value.substring(space + 1));
            JsonNode user = json.get("user");
            return new Stored(Long.parseLong(value.substring(0, space)), new Member(peerId,
                    (ObjectNode) json.get("meta"), user == null ? null : user.asText()));
        } catch (IOException e) {
            throw new IllegalStateException("member " + peerId + " is not what this server stores", e);
        }
    }
}
