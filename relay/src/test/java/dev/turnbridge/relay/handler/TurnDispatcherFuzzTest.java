package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.auth.Nonces;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.IntegrityAttributes;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.MessageIntegritySha256;
import dev.turnbridge.relay.stun.PasswordAlgorithm;
import dev.turnbridge.relay.stun.StunAccessors;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunDecoderRoundTrip;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.stun.StunParseException;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import io.netty.buffer.ByteBuf;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Coverage-guided fuzzing of {@link TurnDispatcher} end to end, off the network: each input is a short
 * conversation of two clients with one server socket, mixing raw fuzzed datagrams with well-formed requests
 * (every TURN method, fuzzed attribute values, REST credentials that are right or wrong, the nonce learned from
 * the last challenge, MESSAGE-INTEGRITY and/or MESSAGE-INTEGRITY-SHA256), optional corruption of one byte,
 * clock jumps and expiry. Relay sockets are fakes that bind now, fail now, or complete at the next step.
 *
 * <p>Checked: no exception escapes; every response decodes again, answers the request's transaction and
 * method, carries an error code when it is an error, and verifies with the key it was signed with; after
 * shutdown every relay socket handed to the dispatcher is closed and the quota is back to zero.
 */
class TurnDispatcherFuzzTest {
    private static final Instant START = Instant.ofEpochSecond(1_800_000_000);
    private static final Settings SETTINGS = TestSettings.loopback("relay.port-min=50000", "relay.port-max=50015");
    private static final RelayContext BASE = RelayContext.create(SETTINGS, new MutableClock(START));
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);
    private static final InetSocketAddress[] CLIENTS = {
        new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 40001),
    };
    private static final int[] METHODS = {
        StunMethod.BINDING, StunMethod.ALLOCATE, StunMethod.REFRESH, StunMethod.CREATE_PERMISSION,
        StunMethod.CHANNEL_BIND, StunMethod.SEND, StunMethod.DATA,
    };
    private static final int MAX_STEPS = 12;

    @FuzzTest(maxDuration = "5m", maxExecutions = 300_000)
    void conversation(FuzzedDataProvider data) throws Exception {
        new Conversation(data).run();
    }

    private static final class Conversation {
        private final FuzzedDataProvider data;
        private final MutableClock clock = new MutableClock(START);
        private final RelayContext context;
        private final TurnDispatcher dispatcher;
        private final AllocationTable allocations;
        private final TransactionCache transactions = new TransactionCache(64);
        private final List<FakeRelaySocket> sockets = new ArrayList<>();
        private final List<Runnable> deferred = new ArrayList<>();
        private final RestCredentials.Credential credential;
        private String nonce;
        private byte[] offeredAlgorithms;
        private int ids;

        Conversation(FuzzedDataProvider data) {
            this.data = data;
            this.context = new RelayContext(SETTINGS, clock,
                    new CredentialStore(SETTINGS.auth(), SETTINGS.realm(), clock),
                    new Nonces(SETTINGS.lifetimes().nonce(), clock), BASE.peerPolicy(),
                    new AllocationQuota(SETTINGS.quotas().allocationsPerUser(), SETTINGS.quotas().allocationsTotal()),
                    new RelayPortPool(SETTINGS.relay().portMin(), SETTINGS.relay().portMax(), clock),
                    new RelayStats(), BASE.ownAddresses());
            this.dispatcher = new TurnDispatcher(context);
            this.allocations = new AllocationTable(this::ended);
            this.credential = RestCredentials.issue(new Secret(TestSettings.SECRET), "fuzz", Duration.ofHours(1), START);
        }

        void run() throws Exception {
            try {
                for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
                    completeDeferred();
                    step();
                }
            } finally {
                completeDeferred();
                allocations.clear();
            }
            for (FakeRelaySocket s : sockets) {
                assertThat(s.closed).as("relay socket %s closed after shutdown", s.local).isTrue();
            }
            assertThat(context.quota().live()).isZero();
        }

        private void step() throws Exception {
            InetSocketAddress client = CLIENTS[data.consumeInt(0, CLIENTS.length - 1)];
            switch (data.consumeInt(0, 7)) {
                case 0 -> {
                    clock.advance(Duration.ofSeconds(data.consumeInt(0, 1200)));
                    allocations.expire(context.now());
                    transactions.expire(context.now());
                    return;
                }
                case 1 -> deliver(client, data.consumeBytes(data.consumeInt(0, 512)));
                default -> {
                    byte[] request = request();
                    if (data.consumeInt(0, 7) == 0 && request.length > 0) {
                        request[data.consumeInt(0, request.length - 1)] ^= (byte) data.consumeInt(1, 255);
                    }
                    deliver(client, request);
                    if (data.consumeBoolean()) {
                        deliver(client, request); // a retransmission
                    }
                }
            }
        }

        private void deliver(InetSocketAddress client, byte[] bytes) {
            StunMessage message;
            try {
                message = StunDecoder.decode(bytes, bytes.length);
            } catch (StunParseException e) {
                return; // the transport drops it
            }
            StunAccessors.readAll(message);
            dispatcher.dispatch(message, new FakeExchange(client, message));
        }

        private byte[] request() throws UnknownHostException {
            int method = data.consumeBoolean() ? METHODS[data.consumeInt(0, METHODS.length - 1)] : data.consumeInt(0, 0xFFF);
            StunClass cls = data.consumeInt(0, 15) == 0 ? StunClass.values()[data.consumeInt(0, 3)] : StunClass.REQUEST;
            byte[] id = new byte[12];
            id[0] = (byte) data.consumeInt(0, 3); // a few ids repeat: retransmissions and clashes
            id[11] = (byte) (data.consumeInt(0, 3) == 0 ? 0 : ++ids);
            StunMessageBuilder b = StunMessageBuilder.of(method, cls, id);
            int attributes = data.consumeInt(0, 5);
            for (int i = 0; i < attributes; i++) {
                attribute(b);
            }
            int auth = data.consumeInt(0, 4);
            if (auth == 0) {
                return b.encode("", null);
            }
            String username = auth == 4 ? data.consumeString(40) : credential.username();
            String password = auth == 3 ? "wrong" : credential.password();
            String usedNonce = nonce == null || data.consumeInt(0, 7) == 0 ? data.consumeString(40) : nonce;
            int algorithm = PasswordAlgorithm.MD5;
            IntegrityAttributes with = IntegrityAttributes.SHA1;
            if (auth == 2) {
                algorithm = data.consumeBoolean() ? PasswordAlgorithm.SHA256 : PasswordAlgorithm.MD5;
                with = new IntegrityAttributes(data.consumeBoolean(), 4 * data.consumeInt(4, 8));
                if (offeredAlgorithms != null) {
                    b.passwordAlgorithms(offeredAlgorithms);
                }
                b.passwordAlgorithm(algorithm);
            }
            b.username(username).realm(data.consumeInt(0, 7) == 0 ? data.consumeString(20) : SETTINGS.realm())
                    .nonce(usedNonce);
            return b.encode(data.consumeBoolean() ? "fuzz" : "", LongTermKey.derive(username, SETTINGS.realm(),
                    password, algorithm), with);
        }

        private void attribute(StunMessageBuilder b) throws UnknownHostException {
            switch (data.consumeInt(0, 11)) {
                case 0 -> b.lifetime(data.consumeInt(0, 7) == 0 ? data.consumeLong(0, 0xFFFFFFFFL) : data.consumeInt(0, 4000));
                case 1 -> b.requestedTransport(data.consumeBoolean() ? 17 : data.consumeInt(0, 255));
                case 2 -> b.channelNumber(data.consumeBoolean() ? 0x4000 + data.consumeInt(0, 3) : data.consumeInt(0, 0xFFFF));
                case 3 -> b.xorPeerAddress(peer());
                case 4 -> b.data(data.consumeBytes(data.consumeInt(0, 64)));
                case 5 -> b.add(AttributeType.EVEN_PORT, data.consumeBytes(data.consumeInt(0, 4)));
                case 6 -> b.add(AttributeType.REQUESTED_ADDRESS_FAMILY, data.consumeBytes(data.consumeInt(0, 5)));
                case 7 -> b.add(AttributeType.RESERVATION_TOKEN, data.consumeBytes(data.consumeInt(0, 9)));
                case 8 -> b.add(AttributeType.DONT_FRAGMENT, new byte[0]);
                case 9 -> b.add(data.consumeInt(0, 0xFFFF), data.consumeBytes(data.consumeInt(0, 24)));
                case 10 -> b.add(AttributeType.XOR_PEER_ADDRESS, data.consumeBytes(data.consumeInt(0, 24)));
                default -> b.add(0x8000 | AttributeType.LIFETIME, data.consumeBytes(4)); // ADDITIONAL-ADDRESS-FAMILY and kin
            }
        }

        private InetSocketAddress peer() throws UnknownHostException {
            byte[] ip = data.consumeBytes(data.consumeBoolean() ? 4 : 16);
            if (ip.length != 4 && ip.length != 16 || data.consumeBoolean()) {
                ip = new byte[] {127, 0, 0, (byte) data.consumeInt(1, 3)};
            }
            return new InetSocketAddress(InetAddress.getByAddress(ip), data.consumeInt(0, 65535));
        }

        private void completeDeferred() {
            List<Runnable> now = new ArrayList<>(deferred);
            deferred.clear();
            now.forEach(Runnable::run);
        }

        private void ended(Allocation allocation) {
            RelaySocket socket = allocation.relaySocket();
            socket.close();
            context.ports().release(socket.localAddress().getPort());
            context.quota().release(allocation.username());
        }

        /** One request's exchange, as the UDP listener's is. */
        private final class FakeExchange implements Exchange {
            private final FiveTuple fiveTuple;
            private final StunMessage request;

            FakeExchange(InetSocketAddress client, StunMessage request) {
                this.fiveTuple = new FiveTuple(client, SERVER, FiveTuple.Transport.UDP);
                this.request = request;
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
            public StreamExchange stream() {
                return null; // UDP
            }

            @Override
            public void resend(byte[] encoded) {
                StunMessage response = StunDecoderRoundTrip.decodeOrFail(encoded);
                assertThat(response.transactionId()).isEqualTo(request.transactionId());
            }

            @Override
            public void respond(StunMessageBuilder builder, byte[] integrityKey) {
                byte[] encoded = builder.encode("turnbridge", integrityKey);
                StunMessage response = StunDecoderRoundTrip.decodeOrFail(encoded);
                StunAccessors.readAll(response);
                assertThat(response.transactionId()).isEqualTo(request.transactionId());
                assertThat(response.method()).isEqualTo(request.method());
                if (builder.errorCode() != null) {
                    assertThat(response.messageClass()).isEqualTo(StunClass.ERROR_RESPONSE);
                    assertThat(response.errorCode()).isEqualTo(builder.errorCode().code());
                } else {
                    assertThat(response.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
                }
                if (integrityKey != null) {
                    IntegrityAttributes signed = builder.integrity();
                    assertThat(!signed.sha1() || MessageIntegrity.verify(response, integrityKey)).isTrue();
                    assertThat(!signed.sha256() || MessageIntegritySha256.verify(response, integrityKey)).isTrue();
                    transactions.put(fiveTuple.client(), encoded, context.now());
                }
                if (response.nonce() != null) {
                    nonce = response.nonce();
                }
                if (response.passwordAlgorithms() != null) {
                    offeredAlgorithms = response.passwordAlgorithms();
                }
            }

            @Override
            public void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
                int how = data.consumeInt(0, 3);
                Runnable complete = () -> {
                    if (how == 1) {
                        done.accept(null, new BindException("Address already in use"));
                    } else {
                        FakeRelaySocket socket = new FakeRelaySocket(new InetSocketAddress(ip, port));
                        sockets.add(socket);
                        done.accept(socket, null);
                    }
                };
                if (how == 2) {
                    deferred.add(complete);
                } else {
                    complete.run();
                }
            }
        }
    }

    private static final class FakeRelaySocket implements RelaySocket {
        final InetSocketAddress local;
        boolean closed;

        FakeRelaySocket(InetSocketAddress local) {
            this.local = local;
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
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

    @SuppressWarnings("unused")
    private static String hex(byte[] b) {
        return Arrays.toString(b);
    }
}
