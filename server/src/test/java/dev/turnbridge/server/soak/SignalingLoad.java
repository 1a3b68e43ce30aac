package dev.turnbridge.server.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thousands of WebSocket clients in rooms of two, in three phases so that all of them are connected at once:
 * every pair creates a room and joins; every pair exchanges numbered signals with acks, where of every six
 * pairs one drops a connection and resumes with its token while its partner keeps signalling, one leaves and
 * rejoins, one has a socket freeze half-open while both keep signalling (what was lost both ways must arrive
 * once after the resume), and one reloads (a new socket takes the seat over with the token; the partner sees
 * no presence change); every pair leaves and closes. Clients use sequenced delivery and send heartbeats.
 */
final class SignalingLoad {

    /** What one run of the load measured. */
    record Figures(int clients, int failedPairs, long signalsSent, long signalsReceived, long duplicates,
            long outOfOrder, long missing, long acksMissing, int resumes, int rejoins, int freezes, int reloads,
            long replayed, long spuriousPresence, List<String> errors) {
    }

    record Plan(URI base, int clients, int signals, int threads, Duration deadline) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long AWAY_MILLIS = 300;
    /** Rooms stay until their TTL even when empty; a short one lets long soaks reclaim them. */
    private static final int ROOM_TTL_SECONDS = 120;

    private final Plan plan;
    private final HttpClient http;
    private final ExecutorService callbacks;
    private final List<Pair> pairs = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final AtomicInteger resumes = new AtomicInteger();
    private final AtomicInteger rejoins = new AtomicInteger();
    private final AtomicInteger freezes = new AtomicInteger();
    private final AtomicInteger reloads = new AtomicInteger();

    private SignalingLoad(Plan plan) {
        this.plan = plan;
        this.callbacks = Executors.newFixedThreadPool(4, daemon("soak-ws-io"));
        this.http = HttpClient.newBuilder().executor(callbacks).connectTimeout(WsPeer.WAIT).build();
    }

    static Figures run(Plan plan) throws InterruptedException {
        SignalingLoad load = new SignalingLoad(plan);
        try {
            return load.runPhases();
        } finally {
            load.callbacks.shutdownNow();
        }
    }

    private Figures runPhases() throws InterruptedException {
        URI ws = plan.base().resolve("/ws/v1");
        URI wsUri = URI.create("ws://" + ws.getAuthority() + ws.getPath());
        for (int p = 0; p < plan.clients() / 2; p++) {
            pairs.add(new Pair(p, new WsPeer(2 * p, http, wsUri), new WsPeer(2 * p + 1, http, wsUri)));
        }
        long deadline = System.nanoTime() + plan.deadline().toNanos();
        ExecutorService workers = Executors.newFixedThreadPool(plan.threads(), daemon("soak-ws"));
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(daemon("soak-ws-hb"));
        heartbeats.scheduleWithFixedDelay(this::heartbeats, 20, 20, TimeUnit.SECONDS);
        try {
            phase(workers, deadline, "join", Pair::join);
            phase(workers, deadline, "signal", Pair::exchange);
            phase(workers, deadline, "leave", Pair::finish);
        } finally {
            heartbeats.shutdownNow();
            workers.shutdownNow();
            workers.awaitTermination(10, TimeUnit.SECONDS);
            for (Pair p : pairs) {
                if (p.failed) {
                    p.a.abortQuietly();
                    p.b.abortQuietly();
                }
            }
        }
        return figures();
    }

    private interface Step {
        void run(Pair pair) throws Exception;
    }

    /** Runs one step for every pair that has not failed, on the worker pool, within the overall deadline. */
    private void phase(ExecutorService workers, long deadline, String name, Step step) throws InterruptedException {
        List<Future<?>> futures = new ArrayList<>();
        for (Pair p : pairs) {
            futures.add(workers.submit(() -> {
                if (p.failed) {
                    return;
                }
                try {
                    step.run(p);
                } catch (Exception e) {
                    p.failed = true;
                    error("pair " + p.index + " " + name + ": " + e);
                }
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                error("phase " + name + " ran past the deadline");
                futures.forEach(x -> x.cancel(true));
                for (Pair p : pairs) {
                    p.failed = true;
                }
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                error("phase " + name + ": " + e.getCause());
            }
        }
    }

    private void heartbeats() {
        for (Pair p : pairs) {
            for (WsPeer c : List.of(p.a, p.b)) {
                try {
                    c.heartbeat();
                } catch (Exception e) {
                    // a client between sockets (dropped, not yet resumed) skips one beat
                }
            }
        }
    }

    private synchronized void error(String message) {
        if (errors.size() < 20) {
            errors.add(message);
        }
    }

    private Figures figures() {
        long received = 0;
        long duplicates = 0;
        long outOfOrder = 0;
        long missing = 0;
        long acksMissing = 0;
        long spurious = 0;
        long replayed = 0;
        int failedPairs = 0;
        List<String> all = new ArrayList<>(errors);
        for (Pair p : pairs) {
            failedPairs += p.failed ? 1 : 0;
            for (WsPeer c : List.of(p.a, p.b)) {
                received += c.signalsReceived();
                duplicates += c.duplicates();
                outOfOrder += c.outOfOrder();
                replayed += c.replayed();
                acksMissing += plan.signals() - c.ackedCount();
                if (all.size() < 40) {
                    all.addAll(c.errors());
                }
            }
            missing += 2L * plan.signals() - p.a.receivedFrom(p.b.index) - p.b.receivedFrom(p.a.index);
            spurious += p.presenceSurprises();
        }
        return new Figures(plan.clients(), failedPairs, (long) plan.clients() * plan.signals(), received, duplicates,
                outOfOrder, missing, acksMissing, resumes.get(), rejoins.get(), freezes.get(), reloads.get(), replayed,
                spurious,
                List.copyOf(all.subList(0, Math.min(all.size(), 40))));
    }

    private String createRoom() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(plan.base().resolve("/api/rooms")).timeout(WsPeer.WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":" + ROOM_TTL_SECONDS + "}")).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("POST /api/rooms answered " + response.statusCode() + " "
                    + response.body());
        }
        return JSON.readTree(response.body()).path("code").asText();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Two clients in one room and what each should have seen of the other's presence. */
    private final class Pair {
        final int index;
        final WsPeer a;
        final WsPeer b;
        final Kind kind;
        volatile boolean failed;
        String room;

        Pair(int index, WsPeer a, WsPeer b) {
            this.index = index;
            this.a = a;
            this.b = b;
            this.kind = Kind.values()[index % Kind.values().length];
        }

        void join() throws Exception {
            room = createRoom();
            a.connect();
            a.join(room);
            b.connect();
            b.join(room);
            a.await("presence join", () -> a.presenceJoins() == 1);
        }

        void exchange() throws Exception {
            int n = plan.signals();
            int half = n / 2;
            send(a, 0, half, b, 0, half);
            awaitExchanged(half, half);
            switch (kind) {
                case RESUME -> {
                    int away = half + (n - half) / 2;
                    b.drop();
                    Thread.sleep(AWAY_MILLIS);
                    send(a, half, away, null, 0, 0); // buffered by the server while b is away
                    b.connect();
                    b.resume();
                    resumes.incrementAndGet();
                    send(a, away, n, b, half, n);
                }
                case REJOIN -> {
                    a.leave();
                    b.await("presence leave", () -> b.presenceLeaves() == 1);
                    a.join(room);
                    b.await("presence rejoin", () -> b.presenceJoins() == 1);
                    rejoins.incrementAndGet();
                    send(a, half, n, b, half, n);
                }
                case FREEZE -> {
                    int away = half + (n - half) / 2;
                    b.freeze();
                    send(a, half, away, b, half, away); // lost both ways in the frozen socket
                    Thread.sleep(AWAY_MILLIS);
                    b.thaw(room);
                    freezes.incrementAndGet();
                    send(a, away, n, b, away, n);
                }
                case RELOAD -> {
                    b.reload(room);
                    reloads.incrementAndGet();
                    send(a, half, n, b, half, n);
                }
                default -> send(a, half, n, b, half, n);
            }
            awaitExchanged(n, n);
        }

        void finish() throws Exception {
            int leavesBefore = b.presenceLeaves();
            a.leave();
            b.await("presence leave", () -> b.presenceLeaves() == leavesBefore + 1);
            b.leave();
            a.close();
            b.close();
        }

        /** Interleaves a's signals [aFrom, aTo) with b's [bFrom, bTo). */
        private void send(WsPeer x, int xFrom, int xTo, WsPeer y, int yFrom, int yTo) throws Exception {
            for (int i = 0; i < Math.max(xTo - xFrom, yTo - yFrom); i++) {
                if (xFrom + i < xTo) {
                    x.signal(xFrom + i);
                }
                if (y != null && yFrom + i < yTo) {
                    y.signal(yFrom + i);
                }
            }
        }

        private void awaitExchanged(int fromA, int fromB) throws Exception {
            b.await("signals from " + a.index, () -> b.receivedFrom(a.index) >= fromA);
            a.await("signals from " + b.index, () -> a.receivedFrom(b.index) >= fromB);
            a.ackReceived();
            b.ackReceived();
            a.await("acks", () -> a.ackedCount() >= fromA);
            b.await("acks", () -> b.ackedCount() >= fromB);
            b.await("signals from " + a.index, () -> b.receivedFrom(a.index) >= fromA);
            a.await("signals from " + b.index, () -> a.receivedFrom(b.index) >= fromB);
        }

        /** Presence changes seen beyond those the scenario causes: a joins first, so a sees b's join. */
        long presenceSurprises() {
            if (failed) {
                return 0;
            }
            int expectJoinsB = kind == Kind.REJOIN ? 1 : 0;
            int expectLeavesB = kind == Kind.REJOIN ? 2 : 1;
            return Math.abs(a.presenceJoins() - 1) + a.presenceLeaves()
                    + Math.abs(b.presenceJoins() - expectJoinsB) + Math.abs(b.presenceLeaves() - expectLeavesB);
        }
    }

    private enum Kind { PLAIN, RESUME, REJOIN, FREEZE, RELOAD, PLAIN_TOO }
}
