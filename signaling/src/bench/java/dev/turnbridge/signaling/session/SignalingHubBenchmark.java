package dev.turnbridge.signaling.session;

import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.signaling.TestSettings;
import dev.turnbridge.signaling.access.AccessControl;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.ice.IceServersIssuer;
import dev.turnbridge.signaling.ice.TurnUris;
import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.room.AsyncRoomRegistry;
import dev.turnbridge.signaling.room.InMemoryRoomRegistry;
import dev.turnbridge.signaling.room.RoomFanout;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Signals through the hub from one thread and from two (the event loops of a 2-core machine), each thread
 * speaking for the members of its own rooms, with the rooms behind one lock ({@code shards=1}, the hub as it
 * was) and spread over the hub's shards. Throughput that doubles from one thread to two is fan-out that
 * scales with cores. The links count what they are sent and drop it: the JSON of each delivered signal is
 * rendered, the socket write is not. Built and run only with the {@code bench} profile (signaling/pom.xml).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SignalingHubBenchmark {

    /** 1000 rooms of two members, as scripts/bench-signaling's 10000 clients in 5000 rooms, smaller. */
    static final int ROOMS = 1000;

    @State(Scope.Benchmark)
    public static class Hub {
        @Param({"1", "64"})
        public int shards;

        SignalingHub hub;
        final List<Connection> members = new ArrayList<>();
        final LongAdder delivered = new LongAdder();

        @Setup
        public void setUp() {
            Settings settings = TestSettings.with("signaling.room-capacity-max=2");
            InMemoryRoomRegistry rooms = new InMemoryRoomRegistry(new SecureRandom(), ROOMS + 1);
            IceServersIssuer issuer = new IceServersIssuer(new Secret(TestSettings.SECRET), Duration.ofHours(1),
                    new TurnUris(List.of(), "", 3478));
            hub = new SignalingHub(settings.signaling(), AsyncRoomRegistry.of(rooms), RoomFanout.NONE, issuer,
                    Clock.systemUTC(), new SecureRandom(), new AccessControl(AccessMode.OPEN, new Secret(""), null,
                    null), MembershipListener.NONE, shards);
            PeerLink link = new PeerLink() {
                @Override
                public void send(String text) {
                    delivered.increment();
                }

                @Override
                public void close(int code, String reason) {
                }
            };
            for (int r = 0; r < ROOMS; r++) {
                String code = rooms.create(2, Duration.ofHours(1), Clock.systemUTC().instant()).orElseThrow().code();
                for (int m = 0; m < 2; m++) {
                    Connection c = hub.open(link, "127.0.0.1:8080");
                    hub.handle(c, new ClientMessage.Join(null, code, Json.object(), false, false));
                    members.add(c);
                }
            }
        }
    }

    /** The members of the rooms this thread speaks for: every {@code threads}-th room. */
    @State(Scope.Thread)
    public static class Sender {
        List<Connection> mine;
        int next;
        final ClientMessage.Signal signal = new ClientMessage.Signal(null, null, Json.object()
                .put("type", "candidate").put("candidate", "candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host"));

        @Setup
        public void setUp(Hub hub, ThreadParams thread) {
            mine = new ArrayList<>();
            for (int i = 0; i < hub.members.size(); i++) {
                if ((i / 2) % thread.getThreadCount() == thread.getThreadIndex()) {
                    mine.add(hub.members.get(i));
                }
            }
        }

        Connection nextMember() {
            Connection c = mine.get(next);
            next = next + 1 == mine.size() ? 0 : next + 1;
            return c;
        }
    }

    @Benchmark
    @Threads(1)
    public void signalOneThread(Hub hub, Sender sender) {
        hub.hub.handle(sender.nextMember(), sender.signal);
    }

    @Benchmark
    @Threads(2)
    public void signalTwoThreads(Hub hub, Sender sender) {
        hub.hub.handle(sender.nextMember(), sender.signal);
    }
}
