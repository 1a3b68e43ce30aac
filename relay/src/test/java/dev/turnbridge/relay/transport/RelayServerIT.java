package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.testing.TurnTestClient;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The full TURN cycle over UDP on loopback, and every error code the relay answers with. */
class RelayServerIT {
    private final MutableClock clock = MutableClock.now();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private NettyTransport transport;
    private RelayServer server;
    private InetSocketAddress address;

    private void start(String... overrides) {
        transport = NettyTransport.create(1, "relay-it", true);
        server = new RelayServer(TestSettings.loopback(overrides), clock, transport);
        address = server.start().get(0);
    }

    private TurnTestClient client() {
        TurnTestClient c = new TurnTestClient(address).restCredential(TestSettings.SECRET, "alice", clock.instant());
        closeables.add(c);
        return c;
    }

    private DatagramSocket peer() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        s.setSoTimeout(2000);
        closeables.add(s);
        return s;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
        if (transport != null) {
            transport.shutdown();
        }
    }

    @Test
    void bindingReturnsReflexiveAddressWithSoftwareAndFingerprint() {
        start();
        TurnTestClient c = client();
        StunMessage r = c.plain(StunMethod.BINDING, b -> { });
        assertThat(r.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(r.xorMappedAddress()).isEqualTo(c.localAddress());
        assertThat(r.has(AttributeType.SOFTWARE)).isTrue();
        assertThat(server.context().stats().bindingRequests.sum()).isEqualTo(1);
    }

    @Test
    void softwareCanBeTurnedOff() {
        start("software=");
        StunMessage r = client().plain(StunMethod.BINDING, b -> { });
        assertThat(r.has(AttributeType.SOFTWARE)).isFalse();
    }

    @Test
    void unknownComprehensionRequiredAttributeGets420() {
        start();
        StunMessage r = client().plain(StunMethod.BINDING, b -> b.add(0x7777, new byte[4]));
        assertThat(r.errorCode()).isEqualTo(420);
        assertThat(r.unknownAttributes()).containsExactly(0x7777);
    }

    @Test
    void allocateWithoutCredentialsGets401WithRealmAndNonce() {
        start();
        StunMessage r = client().plain(StunMethod.ALLOCATE, b -> b.requestedTransport(17));
        assertThat(r.errorCode()).isEqualTo(401);
        assertThat(r.realm()).isEqualTo(TestSettings.REALM);
        assertThat(r.nonce()).isNotBlank();
        assertThat(r.hasIntegrity()).isFalse();
    }

    @Test
    void wrongPasswordUnknownUserAndExpiredCredentialGet401() {
        start();
        TurnTestClient wrong = client().credentials(client().restCredential("other", "a", clock.instant()) == null
                ? null : "1999999999:alice", "bm90IHRoZSBwYXNzd29yZA==");
        assertThat(wrong.allocate().errorCode()).isEqualTo(401);
        TurnTestClient unknown = client().credentials("mallory", "x");
        assertThat(unknown.allocate().errorCode()).isEqualTo(401);
        TurnTestClient expired = client().restCredential(TestSettings.SECRET, "alice",
                clock.instant().minus(Duration.ofHours(2)));
        assertThat(expired.allocate().errorCode()).isEqualTo(401);
    }

    @Test
    void staticUsersAuthenticate() {
        start("auth.static-users=bob:builder");
        TurnTestClient c = client().credentials("bob", "builder");
        assertThat(c.allocate().messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    @Test
    void staleNonceGets438AndANewNonce() {
        start("lifetimes.nonce=60s");
        TurnTestClient c = client();
        c.allocate();
        String first = c.nonce();
        clock.advance(Duration.ofSeconds(61));
        StunMessage r = c.exchange(c.signedBytes(StunMethod.REFRESH, TurnTestClient.newTransactionId(), b -> { }));
        assertThat(r.errorCode()).isEqualTo(438);
        assertThat(r.realm()).isEqualTo(TestSettings.REALM);
        assertThat(r.nonce()).isNotEqualTo(first);
    }

    @Test
    void allocateSucceedsAndRetransmissionGetsTheSameAnswer() {
        start();
        TurnTestClient c = client();
        c.allocate(); // learns realm and nonce, creates the allocation
        StunMessage again = c.allocate(); // new transaction ID on the same 5-tuple
        assertThat(again.errorCode()).isEqualTo(437);

        TurnTestClient d = client();
        d.plain(StunMethod.ALLOCATE, b -> b.requestedTransport(17));
        d.learn(d.plain(StunMethod.ALLOCATE, b -> b.requestedTransport(17)));
        byte[] id = TurnTestClient.newTransactionId();
        byte[] request = d.signedBytes(StunMethod.ALLOCATE, id, b -> b.requestedTransport(17));
        StunMessage first = d.exchange(request);
        assertThat(first.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(first.xorRelayedAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(first.xorMappedAddress()).isEqualTo(d.localAddress());
        assertThat(first.lifetime()).isEqualTo(600);
        assertThat(MessageIntegrity.verify(first, d.key())).isTrue();
        StunMessage retransmitted = d.exchange(request);
        assertThat(retransmitted.xorRelayedAddress()).isEqualTo(first.xorRelayedAddress());
        assertThat(retransmitted.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    @Test
    void allocateValidatesTransportFamilyAndLifetime() {
        start();
        TurnTestClient c = client();
        assertThat(c.signed(StunMethod.ALLOCATE, b -> { }).errorCode()).isEqualTo(400);
        // TCP over UDP is RFC 6062 §5.1's 400; a transport nobody serves is 442
        assertThat(c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(6)).errorCode()).isEqualTo(400);
        assertThat(c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(132)).errorCode()).isEqualTo(442);
        assertThat(c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17)
                .add(AttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {3, 0, 0, 0})).errorCode()).isEqualTo(440);
        assertThat(c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17)
                .add(AttributeType.EVEN_PORT, new byte[] {0}).add(AttributeType.RESERVATION_TOKEN, new byte[8]))
                .errorCode()).isEqualTo(400);
        StunMessage r = c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17).lifetime(100_000));
        assertThat(r.lifetime()).isEqualTo(3600);
        assertThat(c.signed(StunMethod.REFRESH, b -> b.lifetime(10)).lifetime()).isEqualTo(600);
        assertThat(c.signed(StunMethod.REFRESH, b -> b.lifetime(1200)).lifetime()).isEqualTo(1200);
    }

    @Test
    void permissionsChannelsAndDataFlowBothWays() throws Exception {
        start();
        TurnTestClient c = client();
        InetSocketAddress relayed = c.allocate().xorRelayedAddress();
        DatagramSocket peer = peer();
        InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();

        // no permission yet: a Send indication is dropped, a peer datagram too
        c.send(sendIndication(peerAddr, "early"));
        peer.send(new java.net.DatagramPacket(new byte[] {1}, 1, relayed));
        // both must have been judged before the permission exists, or the early datagram would be relayed
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (server.context().stats().dataDropped.sum() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        assertThat(c.signed(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peerAddr)).messageClass())
                .isEqualTo(StunClass.SUCCESS_RESPONSE);
        c.send(sendIndication(peerAddr, "hello peer"));
        byte[] atPeer = TurnTestClient.receive(peer);
        assertThat(new String(atPeer, StandardCharsets.UTF_8)).isEqualTo("hello peer");

        byte[] payload = "hello client".getBytes(StandardCharsets.UTF_8);
        peer.send(new java.net.DatagramPacket(payload, payload.length, relayed));
        StunMessage data = TurnTestClient.decode(c.receive());
        assertThat(data.method()).isEqualTo(StunMethod.DATA);
        assertThat(data.messageClass()).isEqualTo(StunClass.INDICATION);
        assertThat(data.peerAddresses()).containsExactly(peerAddr);
        assertThat(data.data()).isEqualTo(payload);

        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001).xorPeerAddress(peerAddr))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        c.send(channelData(0x4001, "via channel"));
        assertThat(new String(TurnTestClient.receive(peer), StandardCharsets.UTF_8)).isEqualTo("via channel");
        peer.send(new java.net.DatagramPacket(payload, payload.length, relayed));
        byte[] framed = c.receive();
        assertThat(HexFormat.of().formatHex(framed, 0, 4)).isEqualTo("4001000c");
        assertThat(Arrays.copyOfRange(framed, 4, framed.length)).isEqualTo(payload);

        // an unbound channel number is dropped; the server stays healthy
        c.send(channelData(0x4002, "nobody"));
        assertThat(c.plain(StunMethod.BINDING, b -> { }).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(server.context().stats().dataDropped.sum()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void channelBindRules() throws Exception {
        start();
        TurnTestClient c = client();
        c.allocate();
        InetSocketAddress p1 = (InetSocketAddress) peer().getLocalSocketAddress();
        InetSocketAddress p2 = (InetSocketAddress) peer().getLocalSocketAddress();
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x3FFF).xorPeerAddress(p1)).errorCode())
                .isEqualTo(400);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x5000).xorPeerAddress(p1)).errorCode())
                .isEqualTo(400);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000)).errorCode()).isEqualTo(400);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(p1))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        // the same binding again refreshes it
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(p1))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(p2)).errorCode())
                .isEqualTo(400);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001).xorPeerAddress(p1)).errorCode())
                .isEqualTo(400);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4FFF).xorPeerAddress(p2))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    @Test
    void rfc5766ChannelRangeIsAnOptIn() throws Exception {
        start("relay.rfc5766-channels=true");
        TurnTestClient c = client();
        c.allocate();
        InetSocketAddress p = (InetSocketAddress) peer().getLocalSocketAddress();
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x7FFF).xorPeerAddress(p))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x8000).xorPeerAddress(p)).errorCode())
                .isEqualTo(400);
    }

    @Test
    void defaultPolicyRefusesInternalPeersWith403() throws Exception {
        transport = NettyTransport.create(1, "relay-it", true);
        server = new RelayServer(TestSettings.loopback("peers.allow="), clock, transport);
        address = server.start().get(0);
        TurnTestClient c = client();
        c.allocate();
        for (String ip : new String[] {"127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "0.0.0.0"}) {
            InetSocketAddress peer = new InetSocketAddress(InetAddress.getByName(ip), 5000);
            assertThat(c.signed(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peer)).errorCode())
                    .as(ip).isEqualTo(403);
            assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peer))
                    .errorCode()).as(ip).isEqualTo(403);
        }
        long refused = server.context().stats().peersRefused();
        // ::ffff:127.0.0.1 on the wire (IPv6 family, mapped bytes) names an IPv6 peer: on this IPv4-only
        // allocation that is a family mismatch (443, RFC 8656 §9.1), before and apart from the peer policy,
        // which RefusalMatrixIT checks for the mapped spellings on dual allocations (403 there, exactly)
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 127;
        mapped[15] = 1;
        StunMessage r = c.signed(StunMethod.CREATE_PERMISSION, b -> b.add(AttributeType.XOR_PEER_ADDRESS,
                xorPeerIpv6(mapped, 5000, b)));
        assertThat(r.errorCode()).isEqualTo(443);
        assertThat(server.context().stats().peersRefused()).as("not a policy refusal").isEqualTo(refused);
        assertThat(refused).as("5 addresses x CreatePermission and ChannelBind").isEqualTo(10);
    }

    @Test
    void ownRelayedAddressesArePeersEvenWhenThePolicyRefusesTheirRange() {
        // two relay-only browsers on one dev machine: each allocation's peer is the other's 127.0.0.1 address
        transport = NettyTransport.create(1, "relay-it", true);
        server = new RelayServer(TestSettings.loopback("peers.allow="), clock, transport);
        address = server.start().get(0);
        TurnTestClient a = client();
        TurnTestClient b = client().restCredential(TestSettings.SECRET, "bob", clock.instant());
        InetSocketAddress relayA = a.allocate().xorRelayedAddress();
        InetSocketAddress relayB = b.allocate().xorRelayedAddress();
        assertThat(a.signed(StunMethod.CHANNEL_BIND, m -> m.channelNumber(0x4000).xorPeerAddress(relayB))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(b.signed(StunMethod.CREATE_PERMISSION, m -> m.xorPeerAddress(relayA)).messageClass())
                .isEqualTo(StunClass.SUCCESS_RESPONSE);
        a.send(channelData(0x4000, "through two allocations"));
        StunMessage data = TurnTestClient.decode(b.receive());
        assertThat(new String(data.data(), StandardCharsets.UTF_8)).isEqualTo("through two allocations");
        assertThat(data.peerAddresses()).containsExactly(relayA);
        // the same IP on a port that is not a relay port stays refused
        InetSocketAddress notRelay = new InetSocketAddress(relayB.getAddress(), 22);
        assertThat(a.signed(StunMethod.CREATE_PERMISSION, m -> m.xorPeerAddress(notRelay)).errorCode())
                .isEqualTo(403);
    }

    @Test
    void createPermissionIsAllOrNothing() throws Exception {
        start();
        TurnTestClient c = client();
        InetSocketAddress relayed = c.allocate().xorRelayedAddress();
        DatagramSocket ok = peer();
        InetSocketAddress okAddr = (InetSocketAddress) ok.getLocalSocketAddress();
        InetSocketAddress bad = new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 9);
        assertThat(c.signed(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(okAddr).xorPeerAddress(bad))
                .errorCode()).isEqualTo(403);
        ok.send(new java.net.DatagramPacket(new byte[] {7}, 1, relayed));
        assertThat(c.receive()).isNull(); // no permission was installed for the good peer either
        assertThat(c.signed(StunMethod.CREATE_PERMISSION, b -> { }).errorCode()).isEqualTo(400);
    }

    @Test
    void requestsWithoutAllocationGet437AndOtherUsers441() throws Exception {
        start();
        TurnTestClient c = client();
        assertThat(c.signed(StunMethod.REFRESH, b -> { }).errorCode()).isEqualTo(437);
        c.allocate();
        TurnTestClient sameSocketOtherUser = c.restCredential(TestSettings.SECRET, "eve", clock.instant());
        assertThat(sameSocketOtherUser.signed(StunMethod.REFRESH, b -> { }).errorCode()).isEqualTo(441);
    }

    @Test
    void refreshZeroDeletesAndFreesThePort() throws Exception {
        int port = freeEvenPortPair();
        start("relay.port-min=" + port, "relay.port-max=" + port);
        TurnTestClient c = client();
        assertThat(c.allocate().xorRelayedAddress().getPort()).isEqualTo(port);
        assertThat(client().allocate().errorCode()).isEqualTo(508);
        StunMessage deleted = c.signed(StunMethod.REFRESH, b -> b.lifetime(0));
        assertThat(deleted.lifetime()).isZero();
        assertThat(c.signed(StunMethod.REFRESH, b -> { }).errorCode()).isEqualTo(437);
        assertThat(server.context().ports().inUse()).isZero();
        assertThat(client().allocate().xorRelayedAddress().getPort()).isEqualTo(port);
    }

    @Test
    void quotasGive486() {
        start("quotas.allocations-per-user=1");
        assertThat(client().allocate().messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(client().allocate().errorCode()).isEqualTo(486);
        TurnTestClient other = client().restCredential(TestSettings.SECRET, "bob", clock.instant());
        assertThat(other.allocate().messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    @Test
    void permissionAndChannelQuotasGive508() throws Exception {
        start("quotas.permissions-per-allocation=1", "quotas.channels-per-allocation=1");
        TurnTestClient c = client();
        c.allocate();
        InetSocketAddress p1 = new InetSocketAddress("127.0.0.1", 1111);
        InetSocketAddress p2 = new InetSocketAddress(InetAddress.getByName("8.8.8.8"), 2222);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(p1))
                .messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(c.signed(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(p2)).errorCode()).isEqualTo(508);
        assertThat(c.signed(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001)
                .xorPeerAddress(new InetSocketAddress("127.0.0.1", 1112))).errorCode()).isEqualTo(508);
    }

    @Test
    void evenPortReservesTheNextPortForItsToken() throws Exception {
        int even = freeEvenPortPair();
        start("relay.port-min=" + even, "relay.port-max=" + (even + 1));
        TurnTestClient c = client();
        StunMessage r = c.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17)
                .add(AttributeType.EVEN_PORT, new byte[] {(byte) 0x80}));
        assertThat(r.xorRelayedAddress().getPort()).isEqualTo(even);
        assertThat(r.has(AttributeType.RESERVATION_TOKEN)).isTrue();
        byte[] token = reservationToken(r);
        // the reserved port is not handed out to others
        assertThat(client().allocate().errorCode()).isEqualTo(508);
        TurnTestClient d = client();
        StunMessage redeemed = d.signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17)
                .add(AttributeType.RESERVATION_TOKEN, token));
        assertThat(redeemed.xorRelayedAddress().getPort()).isEqualTo(even + 1);
        assertThat(client().signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17)
                .add(AttributeType.RESERVATION_TOKEN, token)).errorCode()).isEqualTo(508);
    }

    @Test
    void permissionsAndAllocationsExpireOnTheInjectedClock() throws Exception {
        start();
        TurnTestClient c = client();
        InetSocketAddress relayed = c.allocate().xorRelayedAddress();
        DatagramSocket peer = peer();
        InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();
        c.signed(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peerAddr));
        clock.advance(Duration.ofSeconds(301));
        peer.send(new java.net.DatagramPacket(new byte[] {1}, 1, relayed));
        assertThat(c.receive()).isNull();
        clock.advance(Duration.ofSeconds(300));
        assertThat(c.signed(StunMethod.REFRESH, b -> { }).errorCode()).isEqualTo(437);
        assertThat(server.allocationCount()).isZero();
    }

    @Test
    void malformedDatagramsAreDroppedAndCounted() {
        start();
        TurnTestClient c = client();
        c.send(new byte[] {(byte) 0x80, 1, 2, 3});
        c.send(HexFormat.of().parseHex("0001000c2112a442000000000000000000000000"));
        c.send(new byte[0]);
        assertThat(c.plain(StunMethod.BINDING, b -> { }).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(server.context().stats().malformedDropped.sum()).isGreaterThanOrEqualTo(2);
    }

    /**
     * An even port that, with its successor, is free right now: tests of tiny relay ranges must not collide
     * with sockets other processes hold (any UDP client may get an ephemeral port in the range).
     */
    private static int freeEvenPortPair() throws java.net.SocketException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int even;
            try (DatagramSocket probe = new DatagramSocket(0)) {
                even = probe.getLocalPort() & ~1;
            }
            try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", even));
                 DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.1", even + 1))) {
                return even;
            } catch (java.net.SocketException taken) {
                // try another pair
            }
        }
        throw new IllegalStateException("no free even port pair");
    }

    private static byte[] reservationToken(StunMessage r) {
        // RESERVATION-TOKEN is read through the request accessor, which works for responses too
        return r.reservationToken();
    }

    private static byte[] sendIndication(InetSocketAddress peer, String data) {
        return StunMessageBuilder.of(StunMethod.SEND, StunClass.INDICATION, TurnTestClient.newTransactionId())
                .xorPeerAddress(peer).data(data.getBytes(StandardCharsets.UTF_8)).encode("", null);
    }

    private static byte[] channelData(int channel, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[4 + d.length];
        b[0] = (byte) (channel >> 8);
        b[1] = (byte) channel;
        b[2] = (byte) (d.length >> 8);
        b[3] = (byte) d.length;
        System.arraycopy(d, 0, b, 4, d.length);
        return b;
    }

    private static byte[] xorPeerIpv6(byte[] address, int port, StunMessageBuilder b) {
        byte[] tid = b.transactionId();
        byte[] cookieAndId = new byte[16];
        cookieAndId[0] = 0x21;
        cookieAndId[1] = 0x12;
        cookieAndId[2] = (byte) 0xA4;
        cookieAndId[3] = 0x42;
        System.arraycopy(tid, 0, cookieAndId, 4, 12);
        byte[] v = new byte[20];
        v[1] = 2;
        int xport = port ^ 0x2112;
        v[2] = (byte) (xport >> 8);
        v[3] = (byte) xport;
        for (int i = 0; i < 16; i++) {
            v[4 + i] = (byte) (address[i] ^ cookieAndId[i]);
        }
        return v;
    }
}
