package dev.turnbridge.relay.handler;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.stun.StunParseException;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The server's CPU for one allocation without sockets: the unauthenticated Allocate and its 401 (nonce issued,
 * challenge encoded), and the authenticated Allocate and its 200 (decode, MESSAGE-INTEGRITY, quota, port,
 * allocation, signed response cached), with a relay socket that binds at once and the allocation deleted
 * again. The figures the relay bench compares with coturn, minus the kernel. Built and run only with the
 * {@code bench} profile (see relay/pom.xml).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllocationBenchmark {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);
    /** Distinct transaction IDs cycled through, far more than the cache holds, so none is a retransmission. */
    private static final int REQUESTS = 1 << 12;

    private RelayContext context;
    private TurnDispatcher dispatcher;
    private BenchExchange exchange;
    private byte[][] unauthenticated;
    private byte[][] authenticated;
    private int next;

    @Setup
    public void setUp() {
        MutableClock clock = new MutableClock(Instant.now());
        context = RelayContext.create(TestSettings.loopback(), clock);
        dispatcher = new TurnDispatcher(context);
        exchange = new BenchExchange();
        RestCredentials.Credential credential = RestCredentials.issue(new Secret(TestSettings.SECRET), "bench",
                Duration.ofHours(1), clock.instant());
        byte[] key = LongTermKey.derive(credential.username(), TestSettings.REALM, credential.password());
        String nonce = context.nonces().issue(CLIENT.getAddress());
        unauthenticated = new byte[REQUESTS][];
        authenticated = new byte[REQUESTS][];
        for (int i = 0; i < REQUESTS; i++) {
            byte[] tid = new byte[12];
            tid[0] = (byte) (i >> 8);
            tid[1] = (byte) i;
            unauthenticated[i] = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, tid)
                    .requestedTransport(17).encode(null, null);
            tid[2] = 1;
            authenticated[i] = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, tid)
                    .requestedTransport(17).username(credential.username()).realm(TestSettings.REALM).nonce(nonce)
                    .encode(null, key);
        }
    }

    @Benchmark
    public byte[] allocate401() throws StunParseException {
        byte[] request = unauthenticated[next++ & (REQUESTS - 1)];
        dispatcher.dispatch(StunDecoder.decode(request, request.length), exchange);
        return exchange.last;
    }

    @Benchmark
    public byte[] allocate200() throws StunParseException {
        byte[] request = authenticated[next++ & (REQUESTS - 1)];
        dispatcher.dispatch(StunDecoder.decode(request, request.length), exchange);
        if (exchange.allocations.get(CLIENT, context.now()) == null) {
            throw new IllegalStateException("no allocation: " + StunDecoder.decode(exchange.last,
                    exchange.last.length).errorCode());
        }
        exchange.allocations.remove(CLIENT);
        return exchange.last;
    }

    /** One UDP server socket's view, with relay sockets that bind at once and bind nothing. */
    private final class BenchExchange implements Exchange {
        final AllocationTable allocations = new AllocationTable(this::ended);
        final TransactionCache transactions = new TransactionCache(64);
        final Responder responder = new Responder(context);
        final FiveTuple fiveTuple = new FiveTuple(CLIENT, SERVER, FiveTuple.Transport.UDP);
        byte[] last;

        private void ended(Allocation allocation) {
            RelaySocket socket = allocation.relaySocket();
            socket.close();
            context.ports().release(socket.localAddress().getPort());
            context.quota().release(allocation.claim());
        }

        @Override
        public FiveTuple fiveTuple() {
            return fiveTuple;
        }

        @Override
        public AllocationTable allocations() {
            return allocations;
        }

        @Override
        public TransactionCache transactions() {
            return transactions;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public void resend(byte[] encoded) {
            last = encoded;
        }

        @Override
        public void respond(StunMessageBuilder response, byte[] integrityKey) {
            responder.respond(this, response, integrityKey);
        }

        @Override
        public void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
            done.accept(new NoSocket(new InetSocketAddress(ip, port)), null);
        }

        @Override
        public StreamExchange stream() {
            return null;
        }
    }

    private record NoSocket(InetSocketAddress localAddress) implements RelaySocket {
        @Override
        public void start(Allocation allocation) {
        }

        @Override
        public void send(ByteBuf payload, InetSocketAddress peer) {
            payload.release();
        }

        @Override
        public void close() {
        }
    }
}
