package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.testing.TurnTestClient;
import dev.turnbridge.relay.transport.HardeningClient.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Authentication refusals and quotas over every client transport, and what an unauthenticated UDP request
 * can make the server send (amplification): response sizes, the per-source limit, Binding off, no RFC 5780.
 */
class AuthQuotaAmplificationIT {
    private static NettyTransport loops;
    private final MutableClock clock = MutableClock.now();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RelayServer server;
    private InetSocketAddress udpAddress;

    @BeforeAll
    static void startLoops() {
        loops = NettyTransport.create(2, "abuse-it", true);
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdown();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(String... overrides) {
        server = new RelayServer(TestSettings.loopback(overrides), clock, loops);
        udpAddress = server.start().get(0);
    }

    private HardeningClient client(Transport transport) throws Exception {
        HardeningClient c = HardeningClient.open(transport, server, udpAddress);
        closeables.add(c);
        return c.restCredential(TestSettings.SECRET, "alice", clock.instant());
    }

    private RelayStats stats() {
        return server.context().stats();
    }

    private static StunMessage decode(byte[] b) {
        return TurnTestClient.decode(b);
    }

    /** Attribute types in order of appearance. */
    private static List<Integer> attributeTypes(byte[] m) {
        List<Integer> types = new ArrayList<>();
        for (int pos = 20; pos + 4 <= m.length; ) {
            types.add(((m[pos] & 0xFF) << 8) | (m[pos + 1] & 0xFF));
            int len = ((m[pos + 2] & 0xFF) << 8) | (m[pos + 3] & 0xFF);
            pos += 4 + ((len + 3) & ~3);
        }
        return types;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void authenticationRefusals(Transport transport) throws Exception {
        start("lifetimes.nonce=60s");
        HardeningClient c = client(transport);
        byte[] challenge = c.exchange(HardeningClient.plainBytes(StunMethod.ALLOCATE, b -> b.requestedTransport(17)));
        StunMessage noCredentials = decode(challenge);
        assertThat(noCredentials.errorCode()).isEqualTo(401);
        assertThat(noCredentials.realm()).isEqualTo(TestSettings.REALM);
        assertThat(noCredentials.nonce()).isNotBlank();
        assertThat(noCredentials.hasIntegrity()).isFalse();

        HardeningClient expired = client(transport).restCredential(TestSettings.SECRET, "alice",
                clock.instant().minus(Duration.ofHours(2)));
        assertThat(expired.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).isEqualTo(401);
        assertThat(stats().authFailures(RelayStats.AuthFailure.EXPIRED)).isEqualTo(1);
        HardeningClient wrong = client(transport).credentials("9999999999:alice", "bm90IHRoZSBwYXNzd29yZA==");
        assertThat(wrong.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).isEqualTo(401);
        HardeningClient unknown = client(transport).credentials("mallory", "x");
        assertThat(unknown.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).isEqualTo(401);

        // a signed request kept by an eavesdropper and replayed after its nonce expired
        assertThat(c.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).isZero();
        byte[] refresh = c.signedBytes(StunMethod.REFRESH, b -> b.lifetime(600));
        assertThat(decode(c.exchange(refresh)).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        String nonce = c.nonce();
        clock.advance(Duration.ofSeconds(61));
        StunMessage replayed = decode(c.exchange(refresh));
        assertThat(replayed.errorCode()).isEqualTo(438);
        assertThat(replayed.nonce()).isNotEqualTo(nonce);
        assertThat(replayed.hasIntegrity()).isFalse();
        // a fresh request under the stale nonce: 438 as well, and the client recovers with the new one
        StunMessage stale = decode(c.exchange(c.signedBytes(StunMethod.REFRESH, b -> { })));
        assertThat(stale.errorCode()).isEqualTo(438);
        c.learn(stale);
        assertThat(c.code(StunMethod.REFRESH, b -> { })).isZero();
        assertThat(stats().authFailures(RelayStats.AuthFailure.STALE_NONCE)).isEqualTo(2);
    }

    /**
     * A wrong password and an unknown user must not be told apart: same code, same attributes, same length, and
     * the same work (the same number of MESSAGE-INTEGRITY verifications: unknown users get decoy keys). Round
     * trips are compared too, with a tolerance wide enough for a loaded 2-core machine.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void wrongPasswordAndUnknownUserAreIndistinguishable(Transport transport) throws Exception {
        start("amplification.unauthenticated-rate=0");
        String restUser = "9999999999:alice";
        HardeningClient wrong = client(transport).credentials(restUser, "bm90IHRoZSBwYXNzd29yZA==");
        HardeningClient unknown = client(transport).credentials("99999999x:alice", "bm90IHRoZSBwYXNzd29yZA==");
        wrong.learn(decode(wrong.exchange(HardeningClient.plainBytes(StunMethod.ALLOCATE,
                b -> b.requestedTransport(17)))));
        unknown.learn(decode(unknown.exchange(HardeningClient.plainBytes(StunMethod.ALLOCATE,
                b -> b.requestedTransport(17)))));
        int rounds = 60;
        long[] wrongNanos = new long[rounds];
        long[] unknownNanos = new long[rounds];
        long wrongChecks = 0;
        long unknownChecks = 0;
        byte[] wrongResponse = null;
        byte[] unknownResponse = null;
        for (int i = 0; i < rounds; i++) {
            long before = stats().integrityChecks.sum();
            long t0 = System.nanoTime();
            wrongResponse = wrong.exchange(wrong.signedBytes(StunMethod.ALLOCATE, b -> b.requestedTransport(17)));
            wrongNanos[i] = System.nanoTime() - t0;
            long middle = stats().integrityChecks.sum();
            t0 = System.nanoTime();
            unknownResponse = unknown.exchange(unknown.signedBytes(StunMethod.ALLOCATE,
                    b -> b.requestedTransport(17)));
            unknownNanos[i] = System.nanoTime() - t0;
            wrongChecks += middle - before;
            unknownChecks += stats().integrityChecks.sum() - middle;
        }
        StunMessage w = decode(wrongResponse);
        StunMessage u = decode(unknownResponse);
        assertThat(w.errorCode()).isEqualTo(401);
        assertThat(u.errorCode()).isEqualTo(401);
        assertThat(attributeTypes(unknownResponse)).isEqualTo(attributeTypes(wrongResponse))
                .contains(AttributeType.REALM, AttributeType.NONCE, AttributeType.ERROR_CODE)
                .doesNotContain(AttributeType.MESSAGE_INTEGRITY, AttributeType.MESSAGE_INTEGRITY_SHA256);
        assertThat(unknownResponse.length).isEqualTo(wrongResponse.length);
        assertThat(unknownChecks).isEqualTo(wrongChecks).isEqualTo(rounds);
        assertThat(stats().authFailures(RelayStats.AuthFailure.BAD_INTEGRITY)).isEqualTo(rounds);
        assertThat(stats().authFailures(RelayStats.AuthFailure.UNKNOWN_USER)).isEqualTo(rounds);
        long wrongMedian = median(wrongNanos);
        long unknownMedian = median(unknownNanos);
        // not a benchmark: a gross difference (say a skipped key derivation under load) would still show
        assertThat(Math.max(wrongMedian, unknownMedian))
                .as("median round trips %d ns vs %d ns", wrongMedian, unknownMedian)
                .isLessThan(5 * Math.min(wrongMedian, unknownMedian) + 2_000_000);
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void quotas(Transport transport) throws Exception {
        int port = 62000 + 10 * transport.ordinal();
        start("quotas.allocations-per-user=1", "quotas.permissions-per-allocation=2",
                "quotas.channels-per-allocation=1", "relay.port-min=" + port, "relay.port-max=" + port);
        HardeningClient c = client(transport);
        assertThat(c.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(client(transport).allocate(false).errorCode()).as("allocations per user").isEqualTo(486);
        HardeningClient bob = client(transport).restCredential(TestSettings.SECRET, "bob", clock.instant());
        assertThat(bob.allocate(false).errorCode()).as("relay ports exhausted").isEqualTo(508);

        InetSocketAddress p1 = new InetSocketAddress("127.0.0.1", 1001);
        InetSocketAddress p2 = new InetSocketAddress("8.8.8.8", 1002);
        InetSocketAddress p3 = new InetSocketAddress("8.8.4.4", 1003);
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x3FFF).xorPeerAddress(p1))).isEqualTo(400);
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x5000).xorPeerAddress(p1))).isEqualTo(400);
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0xFFFF).xorPeerAddress(p1))).isEqualTo(400);
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(p1))).isZero();
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001).xorPeerAddress(p2)))
                .as("channels per allocation").isEqualTo(508);
        assertThat(c.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(p2))).isZero();
        assertThat(c.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(p3)))
                .as("permissions per allocation").isEqualTo(508);
    }

    @Test
    void amplificationFactorsOfBindingAnd401AreBounded() throws Exception {
        start();
        HardeningClient c = client(Transport.UDP);
        // the smallest requests that draw these answers: no FINGERPRINT (a 20-byte Binding, a 28-byte Allocate)
        byte[] binding = withoutFingerprint(HardeningClient.plainBytes(StunMethod.BINDING, b -> { }));
        byte[] bindingResponse = c.exchange(binding);
        byte[] allocate = withoutFingerprint(HardeningClient.plainBytes(StunMethod.ALLOCATE,
                b -> b.requestedTransport(17)));
        byte[] challenge = c.exchange(allocate);
        assertThat(attributeTypes(bindingResponse)).containsExactly(AttributeType.XOR_MAPPED_ADDRESS,
                AttributeType.SOFTWARE, AttributeType.FINGERPRINT);
        assertThat(attributeTypes(challenge)).containsExactlyInAnyOrder(AttributeType.ERROR_CODE, AttributeType.REALM,
                AttributeType.NONCE, AttributeType.PASSWORD_ALGORITHMS, AttributeType.SOFTWARE,
                AttributeType.FINGERPRINT);
        double bindingFactor = (double) bindingResponse.length / binding.length;
        double challengeFactor = (double) challenge.length / allocate.length;
        System.out.printf("amplification: Binding %d -> %d bytes (x%.2f), 401 %d -> %d bytes (x%.2f)%n",
                binding.length, bindingResponse.length, bindingFactor, allocate.length, challenge.length,
                challengeFactor);
        assertThat(bindingFactor).isLessThanOrEqualTo(3.0);
        assertThat(challengeFactor).isLessThanOrEqualTo(6.0);

        stop();
        closeables.clear();
        start("software=");
        c = client(Transport.UDP);
        byte[] quiet = c.exchange(binding);
        assertThat(attributeTypes(quiet)).doesNotContain(AttributeType.SOFTWARE);
        assertThat((double) quiet.length / binding.length).isLessThanOrEqualTo(2.0);
    }

    private static byte[] withoutFingerprint(byte[] m) {
        assertThat(attributeTypes(m)).endsWith(AttributeType.FINGERPRINT);
        byte[] shorter = Arrays.copyOf(m, m.length - 8);
        int length = shorter.length - 20;
        shorter[2] = (byte) (length >> 8);
        shorter[3] = (byte) length;
        return shorter;
    }

    @Test
    void unauthenticatedAnswersAreLimitedPerSourceOverUdpOnly() throws Exception {
        start("amplification.unauthenticated-rate=1", "amplification.unauthenticated-burst=5");
        HardeningClient udp = client(Transport.UDP);
        for (int i = 0; i < 20; i++) {
            udp.send(HardeningClient.plainBytes(i % 2 == 0 ? StunMethod.BINDING : StunMethod.ALLOCATE,
                    b -> b.requestedTransport(17)));
        }
        int answered = 0;
        while (udp.receive() != null) {
            answered++;
        }
        assertThat(answered).isEqualTo(5);
        assertThat(stats().unauthenticatedDropped.sum()).isEqualTo(15);
        // the limit is on unauthenticated answers only: a signed request still gets through
        clock.advance(Duration.ofSeconds(1)); // one token, for the 401 that teaches the nonce
        assertThat(udp.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        // streams prove their source address in the handshake and are not limited
        HardeningClient tcp = client(Transport.TCP);
        for (int i = 0; i < 20; i++) {
            assertThat(decode(tcp.exchange(HardeningClient.plainBytes(StunMethod.BINDING, b -> { })))
                    .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        }
        assertThat(stats().unauthenticatedDropped.sum()).isEqualTo(15);
    }

    @Test
    void bindingCanBeSwitchedOff() throws Exception {
        start("amplification.binding=false");
        HardeningClient udp = client(Transport.UDP);
        udp.send(HardeningClient.plainBytes(StunMethod.BINDING, b -> { }));
        assertThat(decode(udp.exchange(HardeningClient.plainBytes(StunMethod.ALLOCATE, b -> b.requestedTransport(17))))
                .errorCode()).isEqualTo(401); // TURN still answers, and the Binding before it did not
        assertThat(stats().bindingDropped.sum()).isEqualTo(1);
        assertThat(stats().bindingRequests.sum()).isZero();
    }

    /** No RFC 5780 (NAT behaviour discovery): CHANGE-REQUEST is not understood, and no response names another address. */
    @Test
    void noRfc5780() throws Exception {
        start();
        HardeningClient udp = client(Transport.UDP);
        List<byte[]> responses = new ArrayList<>();
        byte[] changeRequest = HardeningClient.plainBytes(StunMethod.BINDING,
                b -> b.add(0x0003, new byte[] {0, 0, 0, 6}));
        byte[] r = udp.exchange(changeRequest);
        assertThat(decode(r).errorCode()).isEqualTo(420);
        assertThat(decode(r).unknownAttributes()).containsExactly(0x0003);
        responses.add(r);
        responses.add(udp.exchange(HardeningClient.plainBytes(StunMethod.BINDING, b -> { })));
        byte[] challenge = udp.exchange(HardeningClient.plainBytes(StunMethod.ALLOCATE, b -> b.requestedTransport(17)));
        udp.learn(decode(challenge));
        responses.add(challenge);
        responses.add(udp.exchange(udp.signedBytes(StunMethod.ALLOCATE, b -> b.requestedTransport(17))));
        for (byte[] response : responses) {
            assertThat(attributeTypes(response)).doesNotContain(0x802B, 0x802C, 0x0003, 0x0004, 0x8027);
        }
    }
}
