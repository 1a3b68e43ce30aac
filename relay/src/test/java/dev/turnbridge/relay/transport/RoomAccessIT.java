package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.relay.auth.RestCredentials;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.transport.HardeningClient.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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
}
