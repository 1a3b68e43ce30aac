package dev.turnbridge.server.soak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The soak behind {@code scripts/soak}: starts the server jar as a child process on loopback, warms it up,
 * takes a baseline (heap after full GCs, open file descriptors, relay ports in use), runs rounds of TURN
 * allocations relaying numbered datagrams alongside WebSocket clients signalling, waits (bounded) for the
 * server to return to baseline and prints one summary line. Exits 1 on FAIL, 2 on a usage error.
 *
 * <p>Options ({@code --name value}): allocations, messages, clients, signals, rounds, duration (seconds, the
 * most the rounds may take; at least one round runs), jar, log, max-loss (percent), heap-tolerance-mb,
 * fd-tolerance, settle (seconds to wait for the return to baseline), leak-sampling (the server's Netty leak
 * detection, level ADVANCED, tracks 1 in N buffers; default 1, every one).
 *
 * <p>Gates, each a FAIL: any relayed message lost (max-loss, default 0 %), duplicated, reordered or corrupt; any
 * signaling message missing, duplicated or out of order; fds, heap or relay ports not back to baseline; a
 * {@code LEAK:} or error in the server log; any figure from {@code /proc} that cannot be read.
 */
public final class SoakRunner {

    private SoakRunner() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of(
                "allocations", "2000", "messages", "50", "clients", "2000", "signals", "20", "rounds", "5",
                "duration", "120", "jar", "server/target/turnbridge.jar", "log", "server/target/soak/server.log",
                "max-loss", "0", "heap-tolerance-mb", "16"));
        o.putAll(Map.of("fd-tolerance", "8", "settle", "60", "leak-sampling", "1"));
        for (int i = 0; i < args.length; i++) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name == null || !o.containsKey(name) || i + 1 == args.length) {
                System.err.println("usage: SoakRunner [--" + String.join(" N] [--", o.keySet()) + " N]");
                System.exit(2);
            }
            o.put(name, args[++i]);
        }
        System.exit(run(o) ? 0 : 1);
    }

    private static boolean run(Map<String, String> o) throws Exception {
        int allocations = Integer.parseInt(o.get("allocations"));
        int clients = Integer.parseInt(o.get("clients")) / 2 * 2;

        int turnPort = freePort();
        int signalingPort = freePort();
        int metricsPort = freePort();
        int portCount = Math.min(Math.max(2 * allocations, 1000), 10000);
        // below the kernel's ephemeral range (32768+) so other processes' port-0 sockets do not land in it
        int portMin = 22000 + ThreadLocalRandom.current().nextInt(Math.max(1, 10700 - portCount));
        int portMax = portMin + portCount - 1;
        byte[] secretBytes = new byte[24];
        new SecureRandom().nextBytes(secretBytes);
        String secret = HexFormat.of().formatHex(secretBytes);
        List<String> settings = List.of(
                "listeners.udp=127.0.0.1:" + turnPort,
                "auth.secrets=" + secret,
                "peers.allow=127.0.0.1/32",
                "relay.address=127.0.0.1",
                "relay.port-min=" + portMin,
                "relay.port-max=" + portMax,
                "quotas.allocations-total=" + Math.max(10000, 2 * allocations),
                // and every TURN client too: the per-address quota (issue 9) would refuse the soak's own load
                "quotas.allocations-per-address=" + Math.max(10000, 2 * allocations),
                "signaling.listen=127.0.0.1:" + signalingPort,
                "signaling.connections-per-ip=" + (2 * clients + 100),
                "signaling.message-rate=1000",
                "signaling.message-burst=2000",
                // every soak client shares 127.0.0.1: per-source limits would measure themselves, not the server
                "amplification.unauthenticated-rate=0",
                "signaling.room-creation-rate=0",
                "signaling.access=open", // the soak measures the protocol, not token checks
                "metrics.listen=127.0.0.1:" + metricsPort,
                "drain.deadline=0s", // the soak ends with nothing left to drain; stop at once on SIGTERM
                // rooms outlive their members until their TTL (the soak asks for 120 s), so rounds add up
                "signaling.max-rooms=1000000");
        // leak detection at ADVANCED (with access records), and by default on every buffer rather than Netty's
        // 1 in 128: a leak under load shows up as LEAK: in the server log, which fails the soak
        List<String> jvm = List.of("-Xms64m", "-Xmx512m", "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=advanced",
                "-Dio.netty.leakDetection.samplingInterval=" + Integer.parseInt(o.get("leak-sampling")));
        System.out.printf("soak: server on udp 127.0.0.1:%d, signaling 127.0.0.1:%d, relay ports %d-%d%n",
                turnPort, signalingPort, portMin, portMax);

        List<String> failures = new ArrayList<>();
        try {
            return soak(o, settings, jvm, portMin, portMax, turnPort, signalingPort, secret, failures);
        } catch (Exception e) {
            Throwable cause = e;
            while (cause != null && !(cause instanceof ServerProcess.ProcUnreadable)) {
                cause = cause.getCause();
            }
            if (cause == null) {
                throw e;
            }
            // no figure, no verdict: a soak that cannot see fds or ports must not pass
            failures.add(cause.getMessage());
            failures.forEach(f -> System.out.println("soak: FAIL " + f));
            System.out.println("soak: FAIL (unreadable /proc)");
            return false;
        }
    }

    private static boolean soak(Map<String, String> o, List<String> settings, List<String> jvm, int portMin,
            int portMax, int turnPort, int signalingPort, String secret, List<String> failures) throws Exception {
        int allocations = Integer.parseInt(o.get("allocations"));
        int messages = Integer.parseInt(o.get("messages"));
        int clients = Integer.parseInt(o.get("clients")) / 2 * 2;
        int signals = Integer.parseInt(o.get("signals"));
        int rounds = Integer.parseInt(o.get("rounds"));
        Duration duration = Duration.ofSeconds(Long.parseLong(o.get("duration")));
        double maxLoss = Double.parseDouble(o.get("max-loss"));
        long heapTolKib = Long.parseLong(o.get("heap-tolerance-mb")) * 1024;
        int fdTol = Integer.parseInt(o.get("fd-tolerance"));
        Duration settle = Duration.ofSeconds(Long.parseLong(o.get("settle")));
        try (ServerProcess server = ServerProcess.start(Path.of(o.get("jar")), Path.of(o.get("log")), jvm, settings,
                portMin, portMax)) {
            InetSocketAddress turn = new InetSocketAddress("127.0.0.1", turnPort);
            URI web = URI.create("http://127.0.0.1:" + signalingPort + "/");

            int portsInitial = server.relayPortsInUse(); // another process may hold some of the range
            Round warm = round(server, turn, web, secret, 0, Math.min(100, allocations), 10,
                    Math.min(40, clients), 10, Duration.ofSeconds(60));
            warm.check(maxLoss, failures, "warm-up");
            if (!awaitIdle(server, portsInitial, Integer.MAX_VALUE, settle)) {
                failures.add("warm-up allocations did not close");
            }
            int fdsBefore = server.fds();
            long heapBefore = server.heapUsedKib();
            int portsBefore = server.relayPortsInUse();
            System.out.printf("soak: baseline after warm-up: %d fds, heap %.1f MB, %d relay ports%n",
                    fdsBefore, heapBefore / 1024.0, portsBefore);

            long end = System.nanoTime() + duration.toNanos();
            Totals totals = new Totals();
            for (int r = 1; r <= rounds && (r == 1 || System.nanoTime() < end); r++) {
                Duration budget = Duration.ofNanos(Math.max(end - System.nanoTime(), TimeUnit.SECONDS.toNanos(60)));
                Round round = round(server, turn, web, secret, r, allocations, messages, clients, signals, budget);
                round.check(maxLoss, failures, "round " + r);
                totals.add(round);
                System.out.printf(Locale.ROOT, "soak: after round %d: %d fds, heap %.1f MB, %d relay ports%n", r,
                        server.fds(), server.heapUsedKib() / 1024.0, server.relayPortsInUse());
            }

            long settleStart = System.nanoTime();
            boolean idle = awaitIdle(server, portsBefore, fdsBefore + fdTol, settle);
            int fdsAfter = server.fds();
            int portsAfter = server.relayPortsInUse();
            long heapAfter = server.heapUsedKib();
            System.out.printf("soak: %s after %.1f s%n", idle ? "back to baseline" : "NOT back to baseline",
                    (System.nanoTime() - settleStart) / 1e9);
            if (portsAfter != portsBefore) {
                failures.add("relay ports " + portsBefore + " -> " + portsAfter);
            }
            if (fdsAfter > fdsBefore + fdTol) {
                failures.add("fds " + fdsBefore + " -> " + fdsAfter + " (tolerance " + fdTol + ")");
            }
            if (heapAfter > heapBefore + heapTolKib) {
                failures.add(String.format(Locale.ROOT, "heap %.1f -> %.1f MB (tolerance %d MB)",
                        heapBefore / 1024.0, heapAfter / 1024.0, heapTolKib / 1024));
            }
            if (!server.alive()) {
                failures.add("server exited");
            }
            for (String line : server.problems()) {
                if (failures.size() < 60) {
                    failures.add("server log: " + line);
                }
            }
            failures.forEach(f -> System.out.println("soak: FAIL " + f));
            System.out.println(totals.summary(fdsBefore, fdsAfter, heapBefore, heapAfter, portsBefore, portsAfter,
                    failures.isEmpty()));
        }
        return failures.isEmpty();
    }

    /** One round: the TURN load on its own thread, the WebSocket load on this one, both bounded. */
    private static Round round(ServerProcess server, InetSocketAddress turn, URI web, String secret, int r,
            int allocations, int messages, int clients, int signals, Duration budget) throws Exception {
        long start = System.nanoTime();
        int[] peakFds = {-1};
        CompletableFuture<TurnLoad.Figures> turnFigures = CompletableFuture.supplyAsync(() -> {
            try {
                return TurnLoad.run(new TurnLoad.Plan(turn, secret, r, allocations, messages, 4, 512, 256, budget),
                        () -> {
                            peakFds[0] = server.fds();
                            return server.relayPortsInUse();
                        });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        SignalingLoad.Figures ws = SignalingLoad.run(new SignalingLoad.Plan(web, clients, signals, 32, budget));
        TurnLoad.Figures t = turnFigures.get(budget.toSeconds() + 30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        Round round = new Round(r, t, ws, peakFds[0], seconds);
        System.out.println(round.describe());
        return round;
    }

    /** Waits (bounded) until the relay ports and fds are back at most at the given figures. */
    private static boolean awaitIdle(ServerProcess server, int ports, int fds, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        do {
            if (server.relayPortsInUse() <= ports && server.fds() <= fds) {
                return true;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private record Round(int number, TurnLoad.Figures turn, SignalingLoad.Figures ws, int peakFds,
            double seconds) {

        String describe() {
            return String.format(Locale.ROOT,
                    "soak: round %d in %.1f s: %d/%d allocations done (peak %d relay ports, %d server fds), "
                    + "%d/%d relayed (lost %d, dup %d, reordered %d, corrupt %d); %d ws clients, %d/%d signals "
                    + "(dup %d, out-of-order %d, missing %d, acks missing %d), resumes %d, rejoins %d, "
                    + "freezes %d, reloads %d (replays dropped by seq %d), spurious presence %d, failed pairs %d",
                    number, seconds, turn.completed(), turn.allocations(), turn.peakPorts(), peakFds,
                    turn.received(), turn.sent(), turn.lost(), turn.duplicates(), turn.reordered(), turn.corrupt(),
                    ws.clients(), ws.signalsReceived(), ws.signalsSent(), ws.duplicates(), ws.outOfOrder(),
                    ws.missing(), ws.acksMissing(), ws.resumes(), ws.rejoins(), ws.freezes(), ws.reloads(),
                    ws.replayed(), ws.spuriousPresence(), ws.failedPairs());
        }

        void check(double maxLossPercent, List<String> failures, String name) {
            double loss = turn.sent() == 0 ? 0 : 100.0 * turn.lost() / turn.sent();
            if (turn.failed() > 0 || turn.completed() != turn.allocations()) {
                failures.add(name + ": " + (turn.allocations() - turn.completed()) + " allocations failed");
            }
            if (turn.duplicates() > 0 || turn.corrupt() > 0 || turn.reordered() > 0) {
                failures.add(name + ": relayed duplicates " + turn.duplicates() + ", reordered " + turn.reordered()
                        + ", corrupt " + turn.corrupt());
            }
            if (loss > maxLossPercent) {
                failures.add(String.format(Locale.ROOT, "%s: relay loss %.3f%% over %.3f%%", name, loss,
                        maxLossPercent));
            }
            if (ws.failedPairs() > 0 || ws.duplicates() > 0 || ws.outOfOrder() > 0 || ws.missing() > 0
                    || ws.acksMissing() > 0 || ws.spuriousPresence() > 0) {
                failures.add(name + ": signaling failed pairs " + ws.failedPairs() + ", dup " + ws.duplicates()
                        + ", out-of-order " + ws.outOfOrder() + ", missing " + ws.missing() + ", acks missing "
                        + ws.acksMissing() + ", spurious presence " + ws.spuriousPresence());
            }
            turn.errors().forEach(e -> failures.add(name + ": turn: " + e));
            ws.errors().forEach(e -> failures.add(name + ": ws: " + e));
        }
    }

    /** Sums over the measured rounds (the warm-up is not counted). */
    private static final class Totals {
        long allocations;
        long sent;
        long lost;
        long dup;
        long reordered;
        long clients;
        long signals;
        long signalDup;
        long outOfOrder;
        long resumes;
        long freezes;
        long reloads;
        long missing;

        void add(Round r) {
            allocations += r.turn().allocations();
            sent += r.turn().sent();
            lost += r.turn().lost();
            dup += r.turn().duplicates();
            reordered += r.turn().reordered();
            clients += r.ws().clients();
            signals += r.ws().signalsReceived();
            signalDup += r.ws().duplicates();
            outOfOrder += r.ws().outOfOrder();
            resumes += r.ws().resumes();
            freezes += r.ws().freezes();
            reloads += r.ws().reloads();
            missing += r.ws().missing();
        }

        String summary(int fdsBefore, int fdsAfter, long heapBefore, long heapAfter, int portsBefore,
                int portsAfter, boolean pass) {
            return String.format(Locale.ROOT,
                    "soak: %d allocations, %d relayed msgs (loss %.3f%%, dup %d, reordered %d), %d ws clients, "
                    + "%d signals (lost %d, dup %d, out-of-order %d), resumes %d, freezes %d, reloads %d, "
                    + "fds %d->%d, heap %.1f->%.1f MB, "
                    + "ports %d->%d, %s",
                    allocations, sent, sent == 0 ? 0 : 100.0 * lost / sent, dup, reordered, clients, signals,
                    missing, signalDup, outOfOrder, resumes, freezes, reloads, fdsBefore, fdsAfter, heapBefore / 1024.0, heapAfter / 1024.0,
                    portsBefore, portsAfter, pass ? "PASS" : "FAIL");
        }
    }
}
