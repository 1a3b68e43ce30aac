package dev.turnbridge.server;

import dev.turnbridge.relay.allocation.RoomDirectory;
import dev.turnbridge.server.ops.SignalingOps;
import dev.turnbridge.signaling.SignalingServer;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.AccessStats;
import dev.turnbridge.signaling.message.ErrorCode;
import dev.turnbridge.signaling.room.Room;
import dev.turnbridge.signaling.session.CallStats;
import dev.turnbridge.signaling.session.SignalingStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Adapts the signaling module to what operations and the relay need, and binds its counters to meters
 * (signaling builds no registry of its own). Attached once signaling has started; until then it has no rooms.
 *
 * <p>For the relay ({@link RoomDirectory}): the user id a member joined with (its token's {@code sub}; none in
 * open mode, where every member counts as a user of its own for {@code quotas.allocations-per-user}) and the
 * source addresses of a room's signaling connections (strict peers).
 */
final class SignalingAdapter implements SignalingOps, RoomDirectory {
    private volatile SignalingServer server;

    void attach(SignalingServer server) {
        this.server = server;
    }

    @Override
    public boolean available() {
        return server != null;
    }

    @Override
    public int connections() {
        SignalingServer s = server;
        return s == null ? 0 : s.connectionCount();
    }

    @Override
    public List<RoomSummary> rooms() {
        SignalingServer s = server;
        if (s == null) {
            return List.of();
        }
        return s.roomList().stream()
                .sorted(Comparator.comparing(Room::createdAt))
                .map(r -> new RoomSummary(r.code(), r.members().size(), r.capacity(), r.createdAt(), r.expiresAt()))
                .toList();
    }

    @Override
    public CompletionStage<Boolean> closeRoom(String code) {
        SignalingServer s = server;
        return s == null ? CompletableFuture.completedFuture(false) : s.closeRoom(code);
    }

    @Override
    public boolean kick(String code, String peerId) {
        SignalingServer s = server;
        return s != null && s.kick(code, peerId);
    }

    @Override
    public String userId(String room, String member) {
        SignalingServer s = server;
        return s == null ? null : s.userId(room, member).orElse(null);
    }

    @Override
    public Set<InetAddress> signalingAddresses(String room) {
        SignalingServer s = server;
        return s == null ? Set.of() : s.memberAddresses(room);
    }

    @Override
    public void drain() {
        SignalingServer s = server;
        if (s != null) {
            s.drain();
        }
    }

    @Override
    public String accessWarning() {
        SignalingServer s = server;
        return s == null ? null : s.accessWarning().orElse(null);
    }

    @Override
    public MeterBinder metrics() {
        return registry -> {
            SignalingServer s = server;
            if (s == null) {
                return;
            }
            SignalingStats stats = s.stats();
            Gauge.builder("turnbridge.signaling.connections", s, SignalingServer::connectionCount)
                    .description("open WebSocket connections").register(registry);
            FunctionCounter.builder("turnbridge.signaling.connections.opened", stats.connectionsOpened,
                    LongAdder::sum).description("WebSocket connections accepted").register(registry);
            Gauge.builder("turnbridge.signaling.rooms.active", s, SignalingServer::roomCount)
                    .description("live rooms").register(registry);
            for (int i = 0; i < SignalingStats.JOIN_RESULTS.size(); i++) {
                int result = i;
                FunctionCounter.builder("turnbridge.signaling.joins", stats, x -> x.joins(result))
                        .description("join requests, by result")
                        .tag("result", SignalingStats.JOIN_RESULTS.get(i)).register(registry);
            }
            for (int i = 0; i < SignalingStats.MESSAGE_TYPES.size(); i++) {
                int type = i;
                FunctionCounter.builder("turnbridge.signaling.messages", stats, x -> x.messages(type))
                        .description("client messages handled, by type")
                        .tag("type", SignalingStats.MESSAGE_TYPES.get(i)).register(registry);
            }
            for (ErrorCode code : ErrorCode.values()) {
                FunctionCounter.builder("turnbridge.signaling.errors", stats, x -> x.errors(code))
                        .description("protocol errors sent to WebSocket clients, by code")
                        .tag("code", code.wire()).register(registry);
            }
            AccessStats access = s.accessStats();
            AccessMode mode = s.accessMode(); // only the mode in force: the others stay zero
            for (int i = 0; i < AccessStats.OUTCOMES.size(); i++) {
                int outcome = i;
                FunctionCounter.builder("turnbridge.signaling.auth", access, x -> x.count(mode, outcome))
                        .description("bearer checks and room admissions, by access mode and outcome")
                        .tag("mode", mode.setting()).tag("outcome", AccessStats.OUTCOMES.get(i)).register(registry);
            }
            FunctionCounter.builder("turnbridge.signaling.rate.limited", stats.rateLimited, LongAdder::sum)
                    .description("client messages refused by the per-connection rate limit").register(registry);
            FunctionCounter.builder("turnbridge.signaling.request.timeouts", stats.requestTimeouts, LongAdder::sum)
                    .description("HTTP connections closed without a complete request within signaling.request-timeout")
                    .register(registry);
            Timer fanout = Timer.builder("turnbridge.signaling.fanout.latency")
                    .description("time to hand one signal to every recipient's connection")
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1_000))
                    .maximumExpectedValue(Duration.ofMillis(100))
                    .register(registry);
            stats.observeFanout(nanos -> fanout.record(nanos, TimeUnit.NANOSECONDS));
            FunctionCounter.builder("turnbridge.signaling.slow.readers", stats.slowReaders, LongAdder::sum)
                    .description("WebSocket connections closed because the client stopped reading")
                    .register(registry);
            FunctionCounter.builder("turnbridge.signaling.duplicates", stats.duplicates, LongAdder::sum)
                    .description("signals resent after a resume that had already arrived (dropped)")
                    .register(registry);
            FunctionCounter.builder("turnbridge.signaling.outbox.overflows", stats.outboxOverflows, LongAdder::sum)
                    .description("peers removed because they left too many messages unacknowledged")
                    .register(registry);
            bindCalls(registry, stats.calls());
        };
    }

    /** The connection-success figure: calls by outcome and path, restarts, time to connect. */
    private static void bindCalls(io.micrometer.core.instrument.MeterRegistry registry, CallStats calls) {
        int connected = CallStats.OUTCOMES.indexOf("connected");
        int failed = CallStats.OUTCOMES.indexOf("failed");
        for (int p = 0; p < CallStats.PATHS.size(); p++) {
            int path = p;
            int outcome = CallStats.PATHS.get(p).equals("none") ? failed : connected;
            FunctionCounter.builder("turnbridge.calls", calls, x -> x.calls(outcome, path))
                    .description("calls reported by browsers (once per call), by ICE outcome and path")
                    .tag("outcome", CallStats.OUTCOMES.get(outcome)).tag("path", CallStats.PATHS.get(p))
                    .register(registry);
        }
        FunctionCounter.builder("turnbridge.calls.ice.restarts", calls.iceRestarts, LongAdder::sum)
                .description("reported calls that needed an ICE restart").register(registry);
        Timer connect = Timer.builder("turnbridge.calls.connect.time")
                .description("time from creating the peer connection to connected, as browsers report it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        calls.observeConnect(millis -> connect.record(millis, TimeUnit.MILLISECONDS));
    }

    @Override
    public CallFigures lastHourCalls() {
        SignalingServer s = server;
        if (s == null) {
            return CallFigures.NONE;
        }
        CallStats.Window w = s.stats().calls().lastHour(java.time.Instant.now());
        return new CallFigures(w.calls(), w.connected(), w.relayed(), w.connectMillisMean());
    }
}
