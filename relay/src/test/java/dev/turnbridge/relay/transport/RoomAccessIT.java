package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.TurnTestClient;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.transport.HardeningClient.Transport;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Room-scoped credentials ({@code <expiry>:<room>:<member>}, as signaling issues them) over UDP, TCP and TLS:
 * quotas count the member, never the whole username; expiry is enforced on every authenticated request.
 */
class RoomAccessIT {
    private static NettyTransport loops;
    private final MutableClock clock = MutableClock.now();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RelayServer server;
    private InetSocketAddress udpAddress;

    @BeforeAll
    static void startLoops() {
        loops = NettyTransport.create(2, "room-access-it", true);
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

    /** A client holding a credential for {@code id} issued now with {@code ttl}, as signaling issues them. */
    private HardeningClient client(Transport transport, String id, Duration ttl) throws Exception {
        HardeningClient c = HardeningClient.open(transport, server, udpAddress);
        closeables.add(c);
        var credential = RestCredentials.issue(new Secret(TestSettings.SECRET), id, ttl, clock.instant());
        return c.credentials(credential.username(), credential.password());
    }

    private RelayStats stats() {
        return server.context().stats();
    }

    /** Reproduces the issue: fetching ice-servers again (a new expiry second) used to give a fresh quota. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void freshCredentialsNeverRaiseTheQuota(Transport transport) throws Exception {
        start("quotas.allocations-per-user=2");
        int granted = 0;
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1)); // every fetch names a new expiry second
            HardeningClient c = client(transport, "ROOM2345:peer1", Duration.ofHours(1));
            var response = c.allocate(false);
            if (response.messageClass() == StunClass.SUCCESS_RESPONSE) {
                granted++;
            } else {
                assertThat(response.errorCode()).isEqualTo(486);
            }
        }
        assertThat(granted).isEqualTo(2);
        assertThat(server.allocationCount()).isEqualTo(2);
        // another member of the same room has a quota of its own
        assertThat(client(transport, "ROOM2345:peer2", Duration.ofHours(1)).allocate(false).messageClass())
                .isEqualTo(StunClass.SUCCESS_RESPONSE);
        // plain REST ids count without their expiry too
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(1));
            client(transport, "carol", Duration.ofHours(1)).allocate(false);
        }
        assertThat(server.allocationCount()).isEqualTo(5);
    }

    /**
     * Reproduces the issue: Refresh and ChannelBind after the credential's expiry succeeded. Every authenticated
     * request is now refused with 401 once the REST timestamp has passed, after the 438 stale-nonce dance.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void expiryIsEnforcedOnEveryRequest(Transport transport) throws Exception {
        start("lifetimes.nonce=30s");
        HardeningClient c = client(transport, "ROOM2345:peer1", Duration.ofSeconds(60));
        assertThat(c.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peer))).isZero();
        clock.advance(Duration.ofSeconds(62)); // the credential and the nonce are both past their time
        var refresh = c.signed(StunMethod.REFRESH, b -> b.lifetime(3600));
        assertThat(refresh.errorCode()).as("Refresh after expiry").isEqualTo(401);
        assertThat(refresh.hasIntegrity()).isFalse();
        assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peer)))
                .as("ChannelBind after expiry").isEqualTo(401);
        assertThat(c.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peer)))
                .as("CreatePermission after expiry").isEqualTo(401);
        assertThat(c.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).isEqualTo(401);
        if (transport != Transport.UDP) {
            assertThat(c.code(StunMethod.CONNECT, b -> b.xorPeerAddress(peer))).as("Connect").isEqualTo(401);
            assertThat(c.code(StunMethod.CONNECTION_BIND, b -> b.connectionId(1))).as("ConnectionBind")
                    .isEqualTo(401);
        }
        assertThat(stats().authFailures(RelayStats.AuthFailure.EXPIRED)).isGreaterThanOrEqualTo(4);
        assertThat(stats().authFailures(RelayStats.AuthFailure.STALE_NONCE)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void perMemberPerRoomAndPerAddressLimits(Transport transport) throws Exception {
        start("quotas.allocations-per-member=2", "quotas.allocations-per-room=3", "quotas.allocations-per-address=5");
        assertThat(allocate(transport, "ROOM2345:m1")).isZero();
        assertThat(allocate(transport, "ROOM2345:m1")).isZero();
        assertThat(allocate(transport, "ROOM2345:m1")).as("per member").isEqualTo(486);
        assertThat(allocate(transport, "ROOM2345:m2")).isZero();
        assertThat(allocate(transport, "ROOM2345:m3")).as("per room").isEqualTo(486);
        assertThat(allocate(transport, "ROOM6789:m1")).as("another room").isZero();
        assertThat(allocate(transport, "alice")).isZero();
        assertThat(allocate(transport, "bob")).as("per client address, whoever signs").isEqualTo(486);
        assertThat(stats().quotaRefusals(AllocationQuota.Limit.MEMBER)).isEqualTo(1);
        assertThat(stats().quotaRefusals(AllocationQuota.Limit.ROOM)).isEqualTo(1);
        assertThat(stats().quotaRefusals(AllocationQuota.Limit.ADDRESS)).isEqualTo(1);
        assertThat(server.allocationCount()).isEqualTo(5);
        assertThat(server.context().rooms().size()).isEqualTo(2);
    }

    /** 0 on success, else the error code of a fresh client's Allocate with a credential for {@code id}. */
    private int allocate(Transport transport, String id) throws Exception {
        StunMessage r = client(transport, id, Duration.ofHours(1)).allocate(false);
        return r.messageClass() == StunClass.SUCCESS_RESPONSE ? 0 : r.errorCode();
    }

    /**
     * A member who is kicked and then the room that ends lose their relay rights at once: 401 on every request
     * with the old credential (Refresh, CreatePermission, a new Allocate), allocations gone, relaying stopped;
     * other rooms untouched; a credential issued after the revocation (a new room reusing the code) works.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void revocationEndsAllocationsAndRefusesTheCredential(Transport transport) throws Exception {
        start();
        HardeningClient ann = client(transport, "ROOM2345:ann", Duration.ofHours(1));
        HardeningClient ben = client(transport, "ROOM2345:ben", Duration.ofHours(1));
        HardeningClient other = client(transport, "ROOM6789:cy", Duration.ofHours(1));
        for (HardeningClient c : List.of(ann, ben, other)) {
            assertThat(c.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        }
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            peer.setSoTimeout(300);
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            assertThat(ann.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peerAddress)))
                    .isZero();
            ann.send(channelData(0x4000, new byte[] {1, 2, 3}));
            assertThat(TurnTestClient.receive(peer)).as("relaying before").containsExactly(1, 2, 3);

            int ended = server.revokeMember("ROOM2345", "ann", clock.instant().plus(Duration.ofHours(1)))
                    .get(1, TimeUnit.SECONDS);
            assertThat(ended).isEqualTo(1);
            ann.send(channelData(0x4000, new byte[] {4, 5, 6}));
            assertThat(TurnTestClient.receive(peer)).as("relaying after the member was revoked").isNull();
        }
        assertThat(server.allocationCount()).isEqualTo(2);
        assertThat(ann.code(StunMethod.REFRESH, b -> b.lifetime(600))).isEqualTo(401);
        assertThat(ann.code(StunMethod.CREATE_PERMISSION,
                b -> b.xorPeerAddress(new InetSocketAddress("127.0.0.1", 9)))).isEqualTo(401);
        assertThat(ann.code(StunMethod.ALLOCATE, b -> b.requestedTransport(17))).as("re-Allocate").isEqualTo(401);
        assertThat(ben.code(StunMethod.REFRESH, b -> b.lifetime(600))).as("the other member").isZero();

        assertThat(server.revokeRoom("ROOM2345", clock.instant().plus(Duration.ofHours(1)))
                .get(1, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(ben.code(StunMethod.REFRESH, b -> b.lifetime(600))).isEqualTo(401);
        assertThat(client(transport, "ROOM2345:dee", Duration.ofHours(1)).allocate(false).errorCode())
                .as("any credential of the room issued before it ended").isEqualTo(401);
        assertThat(other.code(StunMethod.REFRESH, b -> b.lifetime(600))).as("another room").isZero();
        assertThat(server.allocationCount()).isEqualTo(1);
        assertThat(stats().ended(AllocationListener.EndReason.REVOKED)).isEqualTo(2);
        assertThat(stats().authFailures(RelayStats.AuthFailure.REVOKED)).isGreaterThanOrEqualTo(5);

        clock.advance(Duration.ofSeconds(2));
        assertThat(client(transport, "ROOM2345:eve", Duration.ofHours(1)).allocate(false).messageClass())
                .as("a credential issued after the revocation (a new room with the same code)")
                .isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    /** RFC 6062: a revoked member's TCP allocation ends, and with it its peer connection. */
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"TCP", "TLS"})
    void revocationClosesPeerConnections(Transport transport) throws Exception {
        start();
        HardeningClient ann = client(transport, "ROOM2345:ann", Duration.ofHours(1));
        assertThat(ann.allocate(false, 6).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        try (ServerSocket listener = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress peerAddress = (InetSocketAddress) listener.getLocalSocketAddress();
            assertThat(ann.code(StunMethod.CONNECT, b -> b.xorPeerAddress(peerAddress))).isZero();
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(1000);
                long start = System.nanoTime();
                server.revokeMember("ROOM2345", "ann", clock.instant().plus(Duration.ofHours(1)))
                        .get(1, TimeUnit.SECONDS);
                InputStream in = peer.getInputStream();
                assertThat(in.read()).as("the relay closed the peer connection").isEqualTo(-1);
                assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(1));
            }
        }
        assertThat(server.allocationCount()).isZero();
    }

    /** Strict peers: only addresses of the member's own room, 403 for anything else the policy allows. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void strictPeersOnlyReachTheRoom(Transport transport) throws Exception {
        // relayed addresses on 127.0.0.3, clients on 127.0.0.1: the two kinds of room address can be told apart
        start("peers.room-members-only=true", "peers.allow=127.0.0.0/8", "relay.address=127.0.0.3");
        HardeningClient ann = client(transport, "ROOM2345:ann", Duration.ofHours(1));
        HardeningClient ben = client(transport, "ROOM2345:ben", Duration.ofHours(1));
        HardeningClient outsider = client(transport, "ROOM6789:cy", Duration.ofHours(1));
        HardeningClient alice = client(transport, "alice", Duration.ofHours(1));
        InetSocketAddress benRelayed = ben.allocate(false).xorRelayedAddress();
        assertThat(ann.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(outsider.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(alice.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        InetSocketAddress benClient = new InetSocketAddress("127.0.0.1", 40000);
        InetSocketAddress elsewhere = new InetSocketAddress("127.0.0.2", 40000);
        InetSocketAddress publicPeer = new InetSocketAddress("8.8.8.8", 3478);

        assertThat(ann.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(benRelayed)))
                .as("a member's relayed address").isZero();
        assertThat(ann.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(benClient)))
                .as("a member's TURN client address").isZero();
        assertThat(ann.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(publicPeer)))
                .as("a public address the policy allows").isEqualTo(403);
        assertThat(ann.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001).xorPeerAddress(elsewhere)))
                .isEqualTo(403);
        assertThat(ann.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4001).xorPeerAddress(
                new InetSocketAddress(benRelayed.getAddress(), benRelayed.getPort() == 65535 ? 65534 : 65535))))
                .as("the server's address, but no relayed address of the room").isEqualTo(403);
        assertThat(outsider.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(benRelayed)))
                .as("a member of another room").isEqualTo(403);
        assertThat(alice.code(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(benClient)))
                .as("a credential of no room").isEqualTo(403);
        if (transport != Transport.UDP) {
            HardeningClient tcp = client(transport, "ROOM2345:dee", Duration.ofHours(1));
            assertThat(tcp.allocate(false, 6).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
            assertThat(tcp.code(StunMethod.CONNECT, b -> b.xorPeerAddress(publicPeer))).as("Connect").isEqualTo(403);
        }
        assertThat(stats().peersRefused(PeerPolicy.RefusalReason.NOT_IN_ROOM)).isGreaterThanOrEqualTo(5);
    }

    /** The room's bandwidth budget drops datagrams beyond burst and rate, and counts them. */
    @Test
    void roomBandwidthBudgetDropsAndCounts() throws Exception {
        start("quotas.room-bandwidth=1000", "quotas.room-burst=3000");
        HardeningClient ann = client(Transport.UDP, "ROOM2345:ann", Duration.ofHours(1));
        HardeningClient ben = client(Transport.UDP, "ROOM2345:ben", Duration.ofHours(1));
        assertThat(ann.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(ben.allocate(false).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            peer.setSoTimeout(300);
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            assertThat(ann.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peerAddress)))
                    .isZero();
            assertThat(ben.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(0x4000).xorPeerAddress(peerAddress)))
                    .isZero();
            // 1000 bytes cost 1 s at 1000 B/s; 3 s of burst: 4 pass at once (the one that starts the burst + 3)
            for (int i = 0; i < 5; i++) {
                (i % 2 == 0 ? ann : ben).send(channelData(0x4000, new byte[1000]));
            }
            assertThat(receivedCount(peer)).as("the room's members share one budget").isEqualTo(4);
            assertThat(stats().roomBudgetDropped.sum()).isEqualTo(1);
            clock.advance(Duration.ofSeconds(2));
            for (int i = 0; i < 4; i++) {
                ann.send(channelData(0x4000, new byte[1000]));
            }
            assertThat(receivedCount(peer)).as("2 s of rate refilled 2000 bytes").isEqualTo(2);
            assertThat(stats().roomBudgetDropped.sum()).isEqualTo(3);
            assertThat(server.topRooms(5)).singleElement()
                    .satisfies(r -> assertThat(r.relayedBytes()).isEqualTo(6000));
        }
    }

    private static int receivedCount(DatagramSocket peer) {
        int n = 0;
        while (TurnTestClient.receive(peer) != null) {
            n++;
        }
        return n;
    }

    private static byte[] channelData(int channel, byte[] payload) {
        byte[] frame = new byte[4 + payload.length];
        frame[0] = (byte) (channel >> 8);
        frame[1] = (byte) channel;
        frame[2] = (byte) (payload.length >> 8);
        frame[3] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 4, payload.length);
        return frame;
    }
}
