package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.MutableClock;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.Decoded;
import dev.turnbridge.signaling.message.MessageDecoder;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.JoinResult;
import dev.turnbridge.signaling.room.LogPosition;
import dev.turnbridge.signaling.room.Member;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomFanout;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member whose node died resumes on another node and gets its inbox after the position it gave, then what
 * arrived live while the inbox was read, each signal once and in order: two hubs on one shared registry and
 * an in-memory stand-in for Redis whose deliveries and replies the test releases step by step.
 */
class InboxRecoveryTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.room-capacity-max=3");
    private final InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 10);
    private final FakeRedis redis = new FakeRedis();
    private SignalingHub nodeA;
    private SignalingHub nodeB;
    private String code;

    @BeforeEach
    void setUp() {
        SharedRooms shared = new SharedRooms(AsyncRoomRegistry.of(rooms));
        nodeA = hub(shared, "a");
        nodeB = hub(shared, "b");
        code = ((CreateResult.Created) rooms.create(2, Duration.ofHours(2), clock.instant(), null,
                Room.Visibility.PUBLIC, 0)).room().code();
    }

    private SignalingHub hub(AsyncRoomRegistry registry, String node) {
        IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                new TurnUris(List.of(), "", 3478));
        return new SignalingHub(settings.signaling(), registry, redis.node(node), issuer, clock, new SecureRandom(),
                new AccessControl(AccessMode.OPEN, new Secret(""), null, null), MembershipListener.NONE);
    }

    private static void send(SignalingHub hub, Connection c, String json) {
        Decoded decoded = MessageDecoder.decode(json);
        assertThat(decoded).as(json).isInstanceOf(Decoded.Ok.class);
        hub.handle(c, ((Decoded.Ok) decoded).message());
    }

    private record Client(SignalingHub hub, RecordingLink link, Connection connection) {
    }

    private Client join(SignalingHub hub) {
        RecordingLink link = new RecordingLink();
        Connection c = hub.open(link, "127.0.0.1:8080");
        send(hub, c, "{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + code
                + "\",\"config\":{\"ack\":true,\"seq\":true}}");
        assertThat(link.types()).startsWith("joined");
        return new Client(hub, link, c);
    }

    private static void signal(Client from, int n) {
        send(from.hub(), from.connection(), "{\"type\":\"signal\",\"ref\":" + n + ",\"seq\":" + n
                + ",\"payload\":{\"n\":" + n + "}}");
    }

    private static List<Integer> signals(List<JsonNode> messages) {
        return messages.stream().filter(m -> m.path("type").asText().equals("signal"))
                .map(m -> m.get("payload").get("n").asInt()).toList();
    }

    @Test
    void theInboxComesFirstThenWhatArrivedMeanwhileEachSignalOnce() {
        Client bob = join(nodeA);
        Client ann = join(nodeB);
        redis.deliver();
        signal(bob, 1);
        signal(bob, 2);
        redis.deliver();
        List<JsonNode> annGot = ann.link().drain();
        assertThat(signals(annGot)).containsExactly(1, 2);
        JsonNode firstRead = annGot.stream().filter(m -> m.path("type").asText().equals("signal")).findFirst()
                .orElseThrow();
        assertThat(firstRead.get("at").asText()).isEqualTo("1-0");

        redis.kill("b"); // ann's client read signal 1 only; 2 is lost with node b's outbox
        signal(bob, 3); // in ann's inbox; handed to node a only later
        RecordingLink link = new RecordingLink();
        Connection again = nodeA.open(link, "127.0.0.1:8080");
        send(nodeA, again, "{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + annToken(annGot)
                + "\",\"seq\":" + firstRead.get("seq").asLong() + ",\"at\":\"1-0\"}");
        assertThat(redis.recoveries).hasSize(1); // the inbox read is on its way
        signal(bob, 4);
        redis.deliver(); // 3 and 4 arrive live while ann's inbox is read: held back
        assertThat(link.sent).isEmpty();
        redis.answerRecoveries();

        List<JsonNode> got = link.drain();
        assertThat(got.get(0).get("type").asText()).isEqualTo("joined");
        assertThat(got.get(0).get("resumed").asBoolean()).isTrue();
        assertThat(got.get(0).get("received").asLong()).isZero();
        assertThat(signals(got)).containsExactly(2, 3, 4);
        long seq = firstRead.get("seq").asLong();
        for (JsonNode m : got) {
            if (m.path("type").asText().equals("signal")) {
                assertThat(m.get("seq").asLong()).isEqualTo(++seq);
            }
        }
        signal(bob, 5);
        redis.deliver();
        assertThat(signals(link.drain())).containsExactly(5);

        // ann's acknowledgements let her inbox forget what she has, a step of entries at a time
        send(nodeA, again, "{\"type\":\"ack\",\"seq\":" + seq + "}");
        assertThat(redis.acknowledged).isEmpty();
        for (int n = 6; n < 6 + SignalingHub.INBOX_TRIM_STEP; n++) {
            signal(bob, n);
        }
        redis.deliver();
        List<JsonNode> more = link.drain();
        assertThat(signals(more)).hasSize(SignalingHub.INBOX_TRIM_STEP);
        send(nodeA, again, "{\"type\":\"ack\",\"seq\":" + more.get(more.size() - 1).get("seq").asLong() + "}");
        assertThat(redis.acknowledged).containsEntry(annId(annGot),
                LogPosition.parse(more.get(more.size() - 1).get("at").asText()).orElseThrow());
    }

    @Test
    void anInboxTrimmedPastWhatTheMemberSawEndsItsSessionVisibly() {
        Client bob = join(nodeA);
        Client ann = join(nodeB);
        redis.deliver();
        List<JsonNode> annGot = ann.link().drain();
        redis.kill("b");
        RecordingLink link = new RecordingLink();
        Connection again = nodeA.open(link, "127.0.0.1:8080");
        redis.complete = false;
        send(nodeA, again, "{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + annToken(annGot)
                + "\",\"seq\":1,\"at\":\"1-0\"}");
        redis.answerRecoveries();
        assertThat(link.types()).doesNotContain("joined");
        assertThat(link.closeCode).isEqualTo(CloseCodes.BEHIND);
        assertThat(rooms.find(code).orElseThrow().member(annId(annGot))).isEmpty();
        bob.link().drain();
    }

    @Test
    void anInboxRedisCouldNotReadIsUnavailableAndTheNextResumeMovesThePeer() {
        join(nodeA);
        Client ann = join(nodeB);
        redis.deliver();
        List<JsonNode> annGot = ann.link().drain();
        redis.kill("b");
        String resume = "{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + annToken(annGot)
                + "\",\"seq\":1,\"at\":\"0-0\"}";
        RecordingLink first = new RecordingLink();
        redis.failing = true;
        send(nodeA, nodeA.open(first, "127.0.0.1:8080"), resume);
        redis.answerRecoveries();
        assertThat(first.last().get("code").asText()).isEqualTo("unavailable");

        RecordingLink second = new RecordingLink();
        redis.failing = false;
        send(nodeA, nodeA.open(second, "127.0.0.1:8080"), resume);
        redis.answerRecoveries();
        assertThat(second.sent.get(0).get("type").asText()).isEqualTo("joined");
        assertThat(second.sent.get(0).get("peerId").asText()).isEqualTo(annId(annGot));
    }

    private static String annToken(List<JsonNode> messages) {
        return messages.get(0).get("token").asText();
    }

    private static String annId(List<JsonNode> messages) {
        return messages.get(0).get("peerId").asText();
    }

    /** The in-memory registry with the seats a shared one keeps (a resume through another node finds them). */
    private static final class SharedRooms implements AsyncRoomRegistry {
        private final AsyncRoomRegistry rooms;
        private final Map<String, Seat> seats = new HashMap<>();

        SharedRooms(AsyncRoomRegistry rooms) {
            this.rooms = rooms;
        }

        @Override
        public CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now, String creator,
                                                    Room.Visibility visibility, int perCreator) {
            return rooms.create(capacity, ttl, now, creator, visibility, perCreator);
        }

        @Override
        public CompletionStage<Optional<Room>> find(String code) {
            return rooms.find(code);
        }

        @Override
        public CompletionStage<JoinResult> join(String code, Member member, Instant now) {
            return rooms.join(code, member, now);
        }

        @Override
        public CompletionStage<Boolean> leave(String code, String peerId) {
            return rooms.leave(code, peerId);
        }

        @Override
        public CompletionStage<Boolean> isRetired(String code) {
            return rooms.isRetired(code);
        }

        @Override
        public CompletionStage<Optional<Room>> remove(String code) {
            return rooms.remove(code);
        }

        @Override
        public CompletionStage<List<Room>> list() {
            return rooms.list();
        }

        @Override
        public CompletionStage<List<Room>> removeExpired(Instant now) {
            return rooms.removeExpired(now);
        }

        @Override
        public synchronized CompletionStage<Void> saveSeat(String peerId, Seat seat, Instant until) {
            seats.put(peerId, seat);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized CompletionStage<Optional<Seat>> seat(String peerId) {
            return CompletableFuture.completedFuture(Optional.ofNullable(seats.get(peerId)));
        }

        @Override
        public CompletionStage<Boolean> claim(String code, String peerId, Instant now) {
            return rooms.claim(code, peerId, now);
        }

        @Override
        public Duration renewalInterval() {
            return Duration.ofDays(1);
        }

        @Override
        public CompletionStage<Renewal> renew(String code, Collection<String> peerIds, Instant now) {
            return rooms.renew(code, peerIds, now);
        }
    }

    /**
     * Redis as the hubs see it: inboxes numbered per member, sender seqs, and sharded pub/sub whose messages
     * wait in a queue until the test delivers them, as inbox reads wait until it answers them.
     */
    private final class FakeRedis {
        final Map<String, List<RoomFanout.Entry>> inboxes = new HashMap<>();
        final Map<String, Long> received = new HashMap<>();
        final Map<String, LogPosition> acknowledged = new HashMap<>();
        final Map<String, RoomFanout.Receiver> subscribed = new LinkedHashMap<>();
        final List<Runnable> inFlight = new ArrayList<>();
        final List<Runnable> recoveries = new ArrayList<>();
        boolean complete = true;
        boolean failing;

        void deliver() {
            List<Runnable> now = List.copyOf(inFlight);
            inFlight.clear();
            now.forEach(Runnable::run);
        }

        void answerRecoveries() {
            List<Runnable> now = List.copyOf(recoveries);
            recoveries.clear();
            now.forEach(Runnable::run);
        }

        void kill(String node) {
            subscribed.remove(node);
        }

        RoomFanout node(String name) {
            return new RoomFanout() {
                @Override
                public void receiveWith(Receiver receiver) {
                    subscribed.put(name, receiver);
                }

                @Override
                public CompletionStage<Void> subscribe(String room) {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Void> unsubscribe(String room) {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Void> publish(String room, String message) {
                    fanOut(name, room, Map.of(), message);
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Sent> signal(String room, String message, Sender sender) {
                    Map<String, LogPosition> where = new LinkedHashMap<>();
                    for (Member m : rooms.find(room).orElseThrow().members()) {
                        boolean self = m.peerId().equals(sender.peerId());
                        if (self ? sender.self() : sender.to() == null || sender.to().equals(m.peerId())) {
                            List<RoomFanout.Entry> inbox = inboxes.computeIfAbsent(m.peerId(), k -> new ArrayList<>());
                            LogPosition at = new LogPosition(inbox.size() + 1, 0);
                            inbox.add(new RoomFanout.Entry(at, message));
                            where.put(m.peerId(), at);
                        }
                    }
                    received.merge(sender.peerId(), sender.seq(), Math::max);
                    fanOut(name, room, where, message);
                    return CompletableFuture.completedFuture(Sent.DELIVERED);
                }

                @Override
                public CompletionStage<Void> acknowledged(String room, String peer, LogPosition upTo) {
                    acknowledged.put(peer, upTo);
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Recovery> recover(String room, String peer, LogPosition after) {
                    List<Entry> entries = inboxes.getOrDefault(peer, List.of()).stream()
                            .filter(e -> e.at().isAfter(after)).toList();
                    Recovery recovery = new Recovery(received.getOrDefault(peer, 0L), complete, entries);
                    CompletableFuture<Recovery> reply = new CompletableFuture<>();
                    boolean fails = failing;
                    recoveries.add(() -> {
                        if (fails) {
                            reply.completeExceptionally(new IllegalStateException("Redis timed out"));
                        } else {
                            reply.complete(recovery);
                        }
                    });
                    return reply;
                }
            };
        }

        private void fanOut(String from, String room, Map<String, LogPosition> where, String message) {
            for (Map.Entry<String, RoomFanout.Receiver> node : List.copyOf(subscribed.entrySet())) {
                inFlight.add(() -> {
                    if (subscribed.get(node.getKey()) == node.getValue()) {
                        node.getValue().receive(room, node.getKey().equals(from), where, message);
                    }
                });
            }
        }
    }
}
