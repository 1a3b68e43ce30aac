package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.handler.StreamExchange;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.handler.TurnMethod;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one request path every transport feeds, off the network: a fake port on an embedded event loop. */
class ClientSessionsTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final RelayContext context = RelayContext.create(TestSettings.loopback(), new MutableClock(Instant.now()));
    private final NettyTransport netty = NettyTransport.create(1, "client-sessions-test", false);
    private final Set<AllocationOwner> owners = ConcurrentHashMap.newKeySet();
    private final FakePort port = new FakePort();
    private final ClientSessions sessions = new ClientSessions(new TurnDispatcher(context),
            new RelaySockets(context, netty), port, FiveTuple.Transport.UDP, owners);

    @AfterEach
    void tearDown() {
        sessions.close(AllocationListener.EndReason.SHUTDOWN);
        assertThat(loop.finish()).isFalse();
        netty.shutdown();
    }

    @Test
    void aBindingRequestIsDecodedDispatchedAndAnsweredThroughThePort() throws Exception {
        byte[] tid = new byte[12];
        tid[0] = 7;
        receive(StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST, tid).encode(null, null));

        assertThat(port.sent).hasSize(1);
        StunMessage answer = StunDecoder.decode(port.sent.get(0), port.sent.get(0).length);
        assertThat(answer.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(answer.transactionId()).isEqualTo(tid);
        assertThat(answer.xorMappedAddress()).isEqualTo(CLIENT);
        assertThat(context.stats().responses(TurnMethod.BINDING.ordinal(), true)).isEqualTo(1);
    }

    @Test
    void whatIsNeitherStunNorChannelDataIsDroppedAndCountedInOnePlace() {
        receive(new byte[] {(byte) 0x80, 1, 2, 3});
        receive(new byte[] {0, 1, 0, 0}); // looks like STUN, too short for a header
        sessions.malformed("size");

        assertThat(port.sent).isEmpty();
        assertThat(context.stats().malformedDropped.sum()).isEqualTo(3);
    }

    @Test
    void openRegistersWithTheOwnersAndCloseLeavesThemAndClosesTheTable() {
        sessions.open();
        assertThat(owners).containsExactly(sessions);
        assertThat(sessions.eventLoop()).isSameAs(loop.eventLoop());

        sessions.close(AllocationListener.EndReason.CONNECTION_CLOSED);
        assertThat(owners).isEmpty();
        assertThat(sessions.allocations().size()).isZero();
        assertThat(sessions.holdsAllocation(CLIENT)).isFalse();
    }

    @Test
    void aRelaySocketBoundAfterThePortClosedIsClosedAndNotHandedOn() {
        FakeRelaySocket socket = new FakeRelaySocket();
        AtomicReference<RelaySocket> got = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();

        port.closed = true;
        sessions.unlessClosed((s, f) -> {
            got.set(s);
            failure.set(f);
        }).accept(socket, null);

        assertThat(socket.closed).isTrue();
        assertThat(got.get()).isNull();
        assertThat(failure.get()).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void aRelaySocketBoundWhileThePortIsOpenIsHandedOn() {
        FakeRelaySocket socket = new FakeRelaySocket();
        AtomicReference<RelaySocket> got = new AtomicReference<>();

        sessions.unlessClosed((s, f) -> got.set(s)).accept(socket, null);

        assertThat(socket.closed).isFalse();
        assertThat(got.get()).isSameAs(socket);
    }

    @Test
    void transactionCachesAreSizedPerTransport() {
        assertThat(ClientSessions.transactionEntries(FiveTuple.Transport.UDP)).isEqualTo(8192);
        assertThat(ClientSessions.transactionEntries(FiveTuple.Transport.DTLS)).isEqualTo(32);
        assertThat(ClientSessions.transactionEntries(FiveTuple.Transport.TCP)).isEqualTo(8);
        assertThat(ClientSessions.transactionEntries(FiveTuple.Transport.TLS)).isEqualTo(8);
        assertThat(RelayStats.METHODS).hasSize(TurnMethod.values().length);
    }

    private void receive(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            sessions.received(buf, CLIENT);
        } finally {
            buf.release();
        }
    }

    /** A datagram port that records what it was asked to send. */
    private final class FakePort implements ClientPort {
        final List<byte[]> sent = new ArrayList<>();
        boolean closed;

        @Override
        public EventLoop eventLoop() {
            return loop.eventLoop();
        }

        @Override
        public FiveTuple fiveTuple(InetSocketAddress client) {
            return new FiveTuple(client, SERVER, FiveTuple.Transport.UDP);
        }

        @Override
        public void send(InetSocketAddress client, byte[] encoded) {
            assertThat(client).isEqualTo(CLIENT);
            sent.add(encoded);
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public ClientLink link(InetSocketAddress client) {
            return new UdpClientLink(loop, client);
        }

        @Override
        public StreamExchange stream() {
            return null;
        }
    }

    private static final class FakeRelaySocket implements RelaySocket {
        boolean closed;

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 50000);
        }

        @Override
        public void start(Allocation allocation) {
        }

        @Override
        public void send(ByteBuf payload, InetSocketAddress peer) {
            payload.release();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
