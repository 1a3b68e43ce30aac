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
import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.CreateResult;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.JoinResult;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.room.RoomFanout;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hub's rooms live in shards with a lock each, so event loops work on different rooms at once: these
 * tests drive it from several threads and check what one lock used to guarantee by itself.
 */
class SignalingHubConcurrencyTest {

    private static final int THREADS = 4;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Settings settings = TestSettings.with("signaling.room-capacity-max=3");
    private final InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), 1000);
    private final ExecutorService threads = Executors.newFixedThreadPool(THREADS + 2);

    @AfterEach
    void stop() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private SignalingHub hub(AsyncRoomRegistry registry) {
        IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                new TurnUris(List.of(), "", 3478));
        return new SignalingHub(settings.signaling(), registry, RoomFanout.NONE, issuer, clock, new SecureRandom(),
                new AccessControl(AccessMode.OPEN, new Secret(""), null, null), MembershipListener.NONE);
    }

    @Test
    void signalsOfManyRoomsSentFromSeveralThreadsReachEveryOtherMemberOnceAndInOrder() throws Exception {
        SignalingHub hub = hub(AsyncRoomRegistry.of(rooms));
        int roomCount = 40;
        int signalsPerMember = 200;
        List<List<Participant>> members = new ArrayList<>();
        for (int r = 0; r < roomCount; r++) {
            String code = rooms.create(3, Duration.ofHours(1), clock.instant()).orElseThrow().code();
            List<Participant> room = new ArrayList<>();
            for (int m = 0; m < 3; m++) {
                Participant member = new Participant(hub, code);
                assertThat(member.link.next().path("type").asText()).isEqualTo("joined");
                room.add(member);
            }
            members.add(room);
        }
        members.forEach(room -> room.forEach(m -> m.link.received.clear())); // presence of later joins

        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> senders = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int first = t;
            senders.add(threads.submit(() -> {
                start.await();
                for (int n = 1; n <= signalsPerMember; n++) {
                    for (int r = first; r < roomCount; r += THREADS) {
                        for (Participant m : members.get(r)) {
                            m.signal(n);
                        }
                    }
                }
                return null;
            }));
        }
        Future<?> sweeper = threads.submit(() -> {
            start.await();
            while (!senders.stream().allMatch(Future::isDone)) {
                hub.sweep(); // takes every shard's lock in turn while the senders run
            }
            return null;
        });
        start.countDown();
        for (Future<?> sender : senders) {
            sender.get(60, TimeUnit.SECONDS);
        }
        sweeper.get(60, TimeUnit.SECONDS);

        for (List<Participant> room : members) {
            for (Participant receiver : room) {
                Map<String, List<Integer>> bySender = new ConcurrentHashMap<>();
                for (JsonNode message : receiver.link.received) {
                    assertThat(message.path("type").asText()).isEqualTo("signal");
                    bySender.computeIfAbsent(message.path("from").asText(), k -> new ArrayList<>())
                            .add(message.path("payload").path("n").asInt());
                }
                List<Integer> expected = IntStream.rangeClosed(1, signalsPerMember).boxed().toList();
                for (Participant sender : room) {
                    if (sender != receiver) {
                        assertThat(bySender.get(sender.peerId)).as("from one member, in order, once")
                                .isEqualTo(expected);
                    }
                }
                assertThat(bySender).hasSize(2);
            }
        }
        assertThat(hub.peerCount()).isEqualTo(roomCount * 3);
    }

    @Test
    void aConnectionClosingWhileItsJoinIsAnsweredOnAnotherThreadLeavesNoPeerBehind() throws Exception {
        // the registry answers on its own threads, as Redis does: the join's continuation races the close
        AsyncRoomRegistry later = new LaterRegistry(AsyncRoomRegistry.of(rooms), threads);
        SignalingHub hub = hub(later);
        List<String> codes = new ArrayList<>();
        for (int r = 0; r < 50; r++) {
            codes.add(rooms.create(3, Duration.ofHours(1), clock.instant()).orElseThrow().code());
        }
        int joins = 600;
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int first = t;
            tasks.add(threads.submit(() -> {
                for (int i = first; i < joins; i += THREADS) {
                    ConcurrentLink link = new ConcurrentLink();
                    Connection c = hub.open(link, "127.0.0.1:8080");
                    hub.handle(c, new ClientMessage.Join(null, codes.get(i % codes.size()), Json.object(), false,
                            false));
                    if (ThreadLocalRandom.current().nextBoolean()) {
                        Thread.onSpinWait();
                    }
                    hub.closed(c, true); // a clean close is a leave, whenever the join is answered
                }
                return null;
            }));
        }
        for (Future<?> task : tasks) {
            task.get(60, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((hub.peerCount() > 0 || seated(codes) > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(hub.peerCount()).as("peers left attached to closed connections").isZero();
        assertThat(seated(codes)).as("seats never given back").isZero();
        assertThat(hub.connectionCount()).isZero();
    }

    private int seated(List<String> codes) {
        return codes.stream().mapToInt(code -> rooms.find(code).map(r -> r.members().size()).orElse(0)).sum();
    }

    /** A member on its own connection. */
    private static final class Participant {
        final ConcurrentLink link = new ConcurrentLink();
        final SignalingHub hub;
        final Connection connection;
        final String peerId;

        Participant(SignalingHub hub, String code) {
            this.hub = hub;
            this.connection = hub.open(link, "127.0.0.1:8080");
            hub.handle(connection, new ClientMessage.Join(null, code, Json.object(), false, false));
            this.peerId = link.received.peek().path("peerId").asText();
        }

        void signal(int n) {
            hub.handle(connection, new ClientMessage.Signal(null, null, Json.object().put("n", n)));
        }
    }

    /** Records what it is sent, from any thread. */
    private static final class ConcurrentLink implements PeerLink {
        final ConcurrentLinkedQueue<JsonNode> received = new ConcurrentLinkedQueue<>();

        @Override
        public void send(String text) {
            try {
                received.add(Json.MAPPER.readTree(text));
            } catch (java.io.IOException e) {
                throw new AssertionError("server sent invalid JSON: " + text, e);
            }
        }

        @Override
        public void close(int code, String reason) {
        }

        JsonNode next() {
            return received.poll();
        }
    }

    /** The in-memory registry answering on other threads, as a shared one does. */
    private static final class LaterRegistry implements AsyncRoomRegistry {
        private final AsyncRoomRegistry rooms;
        private final ExecutorService executor;

        LaterRegistry(AsyncRoomRegistry rooms, ExecutorService executor) {
            this.rooms = rooms;
            this.executor = executor;
        }

        private <T> CompletionStage<T> later(Supplier<CompletionStage<T>> call) {
            return CompletableFuture.supplyAsync(() -> call.get().toCompletableFuture().join(),
                    executor);
        }

        @Override
        public CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now,
                String creator, Room.Visibility visibility, int perCreator) {
            return later(() -> rooms.create(capacity, ttl, now, creator, visibility, perCreator));
        }

        @Override
        public CompletionStage<Optional<Room>> find(String code) {
            return later(() -> rooms.find(code));
        }

        @Override
        public CompletionStage<JoinResult> join(String code,
                dev.turnbridge.signaling.room.Member member, Instant now) {
            return later(() -> rooms.join(code, member, now));
        }

        @Override
        public CompletionStage<Boolean> leave(String code, String peerId) {
            return later(() -> rooms.leave(code, peerId));
        }

        @Override
        public CompletionStage<Boolean> isRetired(String code) {
            return later(() -> rooms.isRetired(code));
        }

        @Override
        public CompletionStage<Optional<Room>> remove(String code) {
            return later(() -> rooms.remove(code));
        }

        @Override
        public CompletionStage<List<Room>> list() {
            return later(rooms::list);
        }

        @Override
        public CompletionStage<List<Room>> removeExpired(Instant now) {
            return later(() -> rooms.removeExpired(now));
        }

        @Override
        public CompletionStage<Void> saveSeat(String peerId, Seat seat, Instant until) {
            return later(() -> rooms.saveSeat(peerId, seat, until));
        }

        @Override
        public CompletionStage<Optional<Seat>> seat(String peerId) {
            return later(() -> rooms.seat(peerId));
        }

        @Override
        public CompletionStage<Boolean> claim(String code, String peerId, Instant now) {
            return later(() -> rooms.claim(code, peerId, now));
        }

        @Override
        public Duration renewalInterval() {
            return rooms.renewalInterval();
        }

        @Override
        public CompletionStage<Renewal> renew(String code, Collection<String> peerIds,
                                                                   Instant now) {
            return later(() -> rooms.renew(code, peerIds, now));
        }
    }
}
