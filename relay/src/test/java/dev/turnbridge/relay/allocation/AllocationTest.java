package dev.turnbridge.relay.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.allocation.Allocation.BindCheck;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AllocationTest {
    private static final long ALLOCATION_END = 3_600_000;
    private static final long CHANNEL_END = 600_000;
    private static final long QUARANTINE = ChannelBinding.QUARANTINE_MILLIS;
    private static final InetSocketAddress P1 = new InetSocketAddress("198.51.100.1", 5000);
    private static final InetSocketAddress P1_OTHER_PORT = new InetSocketAddress("198.51.100.1", 5001);
    private static final InetSocketAddress P2 = new InetSocketAddress("198.51.100.2", 5000);
    private static final InetAddress A = P1.getAddress();
    private static final InetAddress B = P2.getAddress();
    private static final InetAddress C = new InetSocketAddress("2001:db8::3", 0).getAddress();

    static Allocation allocation() {
        FiveTuple tuple = new FiveTuple(new InetSocketAddress("192.0.2.10", 40000),
                new InetSocketAddress("192.0.2.1", 3478), FiveTuple.Transport.UDP);
        return new Allocation(tuple, "1700000000:alice", new byte[16], new byte[12], null,
                new InetSocketAddress("192.0.2.1", 50000), ALLOCATION_END);
    }

    // --- permissions (RFC 8656 §9)

    @Test
    void permissionIsLiveUntilItsExpiry() {
        Allocation a = allocation();
        assertThat(a.permits(A, 0)).isFalse();
        assertThat(a.installPermission(A, 300_000, 10)).isTrue();
        assertThat(a.permits(A, 0)).isTrue();
        assertThat(a.permits(A, 299_999)).isTrue();
        assertThat(a.permits(A, 300_000)).as("expired at its expiry instant").isFalse();
        assertThat(a.permits(B, 0)).isFalse();
    }

    @Test
    void permissionIgnoresThePeerPort() {
        Allocation a = allocation();
        a.installPermission(P1.getAddress(), 300_000, 10);
        assertThat(a.permits(P1_OTHER_PORT.getAddress(), 1)).isTrue();
    }

    @Test
    void reinstallingRefreshesWithoutUsingQuota() {
        Allocation a = allocation();
        assertThat(a.installPermission(A, 300_000, 1)).isTrue();
        assertThat(a.installPermission(A, 500_000, 1)).as("refresh at quota").isTrue();
        assertThat(a.permissionCount()).isEqualTo(1);
        assertThat(a.permits(A, 400_000)).isTrue();
        assertThat(a.permits(A, 500_000)).isFalse();
    }

    @Test
    void refreshingAnExpiredButUnsweptPermissionRevivesIt() {
        Allocation a = allocation();
        a.installPermission(A, 300_000, 1);
        assertThat(a.permits(A, 350_000)).isFalse();
        assertThat(a.installPermission(A, 650_000, 1)).isTrue();
        assertThat(a.permits(A, 350_000)).isTrue();
    }

    @Test
    void quotaRefusesANewPeerAndChangesNothing() {
        Allocation a = allocation();
        assertThat(a.installPermission(A, 300_000, 2)).isTrue();
        assertThat(a.installPermission(B, 300_000, 2)).isTrue();
        assertThat(a.installPermission(C, 300_000, 2)).isFalse();
        assertThat(a.permissionCount()).isEqualTo(2);
        assertThat(a.permits(C, 0)).isFalse();
        assertThat(a.hasPermission(C)).isFalse();
    }

    @Test
    void expireDropsOnlyExpiredPermissionsAndFreesQuota() {
        Allocation a = allocation();
        a.installPermission(A, 300_000, 2);
        a.installPermission(B, 400_000, 2);
        a.expire(299_999);
        assertThat(a.permissionCount()).isEqualTo(2);
        a.expire(300_000);
        assertThat(a.hasPermission(A)).isFalse();
        assertThat(a.hasPermission(B)).isTrue();
        assertThat(a.installPermission(C, 700_000, 2)).as("room again after the sweep").isTrue();
    }

    @Test
    void expiredPermissionIsKeptUntilSwept() {
        Allocation a = allocation();
        a.installPermission(A, 300_000, 2);
        assertThat(a.permits(A, 300_000)).isFalse();
        assertThat(a.hasPermission(A)).isTrue();
        assertThat(a.permissionCount()).isEqualTo(1);
    }

    // --- channel bindings (RFC 8656 §11-12)

    /** State for every case: 0x4000 bound to P1 until {@link #CHANNEL_END}. */
    static Stream<Arguments> bindChecks() {
        long live = 1;
        long expired = CHANNEL_END;
        long quarantineLast = CHANNEL_END + QUARANTINE - 1;
        long quarantineOver = CHANNEL_END + QUARANTINE;
        return Stream.of(
                check("new number, new peer", 0x4001, P2, live, 10, BindCheck.OK),
                check("same number and peer (refresh)", 0x4000, P1, live, 10, BindCheck.OK),
                check("refresh at the channel quota", 0x4000, P1, live, 1, BindCheck.OK),
                check("refresh while quarantined", 0x4000, P1, quarantineLast, 10, BindCheck.OK),
                check("number to another peer", 0x4000, P2, live, 10, BindCheck.NUMBER_BOUND_TO_OTHER_PEER),
                check("number to same IP, other port", 0x4000, P1_OTHER_PORT, live, 10,
                        BindCheck.NUMBER_BOUND_TO_OTHER_PEER),
                check("peer to another number", 0x4001, P1, live, 10, BindCheck.PEER_BOUND_TO_OTHER_NUMBER),
                check("new binding beyond the quota", 0x4001, P2, live, 1, BindCheck.QUOTA),
                check("number to another peer at expiry", 0x4000, P2, expired, 10,
                        BindCheck.NUMBER_BOUND_TO_OTHER_PEER),
                check("number to another peer, last quarantine ms", 0x4000, P2, quarantineLast, 10,
                        BindCheck.NUMBER_BOUND_TO_OTHER_PEER),
                check("peer to another number, last quarantine ms", 0x4001, P1, quarantineLast, 10,
                        BindCheck.PEER_BOUND_TO_OTHER_NUMBER),
                check("number to another peer after quarantine", 0x4000, P2, quarantineOver, 10, BindCheck.OK),
                check("peer to another number after quarantine", 0x4001, P1, quarantineOver, 10, BindCheck.OK));
    }

    private static Arguments check(String name, int number, InetSocketAddress peer, long now, int max,
            BindCheck expected) {
        return Arguments.of(name, number, peer, now, max, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bindChecks")
    void checkBind(String name, int number, InetSocketAddress peer, long now, int maxChannels, BindCheck expected) {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        assertThat(a.checkBind(number, peer, now, maxChannels)).isEqualTo(expected);
        // checking changes nothing
        assertThat(a.channel(0x4000, 1)).extracting(ChannelBinding::peer).isEqualTo(P1);
        assertThat(a.channelFor(P1, 1)).extracting(ChannelBinding::number).isEqualTo(0x4000);
    }

    @Test
    void bindingIsFoundBothWaysWhileLive() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        assertThat(a.channel(0x4000, CHANNEL_END - 1).peer()).isEqualTo(P1);
        assertThat(a.channelFor(P1, CHANNEL_END - 1).number()).isEqualTo(0x4000);
        assertThat(a.channel(0x4001, 0)).isNull();
        assertThat(a.channelFor(P1_OTHER_PORT, 0)).as("transport address, not IP").isNull();
        assertThat(a.channelCount(0)).isEqualTo(1);
    }

    @Test
    void expiredBindingIsInvisibleToTheDataPath() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        assertThat(a.channel(0x4000, CHANNEL_END)).isNull();
        assertThat(a.channelFor(P1, CHANNEL_END)).isNull();
        assertThat(a.channelCount(CHANNEL_END)).isZero();
    }

    @Test
    void refreshOfIdenticalBindingExtendsIt() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        ChannelBinding first = a.channel(0x4000, 0);
        a.bindChannel(0x4000, P1, CHANNEL_END * 2);
        assertThat(a.channel(0x4000, CHANNEL_END)).isSameAs(first);
        assertThat(a.channelFor(P1, CHANNEL_END * 2 - 1)).isSameAs(first);
        assertThat(first.expiresAtMillis()).isEqualTo(CHANNEL_END * 2);
        assertThat(a.channelCount(CHANNEL_END)).isEqualTo(1);
    }

    @Test
    void refreshDuringQuarantineRevivesTheBinding() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        long now = CHANNEL_END + 1000;
        assertThat(a.channel(0x4000, now)).isNull();
        assertThat(a.checkBind(0x4000, P1, now, 10)).isEqualTo(BindCheck.OK);
        a.bindChannel(0x4000, P1, now + CHANNEL_END);
        assertThat(a.channel(0x4000, now).peer()).isEqualTo(P1);
    }

    @Test
    void quarantineHoldsUntilFiveMinutesAfterExpiryThenExpireFreesIt() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);

        long last = CHANNEL_END + QUARANTINE - 1;
        a.expire(last);
        assertThat(a.checkBind(0x4000, P2, last, 10)).isEqualTo(BindCheck.NUMBER_BOUND_TO_OTHER_PEER);
        assertThat(a.checkBind(0x4001, P1, last, 10)).isEqualTo(BindCheck.PEER_BOUND_TO_OTHER_NUMBER);
        assertThat(a.checkBind(0x4001, P2, last, 1)).as("a quarantined number still takes a slot")
                .isEqualTo(BindCheck.QUOTA);

        long over = CHANNEL_END + QUARANTINE;
        a.expire(over);
        assertThat(a.checkBind(0x4001, P2, over, 1)).as("slot freed by expire()").isEqualTo(BindCheck.OK);
        assertThat(a.checkBind(0x4000, P2, over, 1)).isEqualTo(BindCheck.OK);
        assertThat(a.checkBind(0x4001, P1, over, 1)).isEqualTo(BindCheck.OK);
        // nothing of the old binding is left to resurrect
        a.bindChannel(0x4001, P1, over + CHANNEL_END);
        assertThat(a.channel(0x4000, over)).isNull();
        assertThat(a.channelFor(P1, over).number()).isEqualTo(0x4001);
    }

    @Test
    void rebindingNumberAfterQuarantineDropsTheOldPeerMapping() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        long over = CHANNEL_END + QUARANTINE;
        // no expire() in between: bindChannel itself must unlink the stale binding
        a.bindChannel(0x4000, P2, over + CHANNEL_END);
        assertThat(a.channel(0x4000, over).peer()).isEqualTo(P2);
        assertThat(a.channelFor(P2, over).number()).isEqualTo(0x4000);
        assertThat(a.channelFor(P1, over)).isNull();
        // P1 is free for another number
        assertThat(a.checkBind(0x4001, P1, over, 10)).isEqualTo(BindCheck.OK);
        a.expire(over + CHANNEL_END - 1);
        assertThat(a.channelCount(over)).isEqualTo(1);
    }

    @Test
    void rebindingPeerAfterQuarantineDropsTheOldNumber() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        long over = CHANNEL_END + QUARANTINE;
        a.bindChannel(0x4001, P1, over + CHANNEL_END);
        assertThat(a.channelFor(P1, over).number()).isEqualTo(0x4001);
        assertThat(a.channel(0x4000, over)).isNull();
        // 0x4000 is no longer bound to anyone: at a quota of one it is refused only for want of room
        assertThat(a.checkBind(0x4000, P2, over, 1)).isEqualTo(BindCheck.QUOTA);
        assertThat(a.checkBind(0x4000, P2, over, 2)).isEqualTo(BindCheck.OK);
    }

    @Test
    void expireKeepsLiveBindingsAndPermissions() {
        Allocation a = allocation();
        a.bindChannel(0x4000, P1, CHANNEL_END);
        a.installPermission(A, CHANNEL_END, 10);
        a.expire(CHANNEL_END - 1);
        assertThat(a.channel(0x4000, CHANNEL_END - 1)).isNotNull();
        assertThat(a.permits(A, CHANNEL_END - 1)).isTrue();
    }

    @Test
    void allocationLifetime() {
        Allocation a = allocation();
        assertThat(a.isLive(ALLOCATION_END - 1)).isTrue();
        assertThat(a.isLive(ALLOCATION_END)).isFalse();
        a.refresh(ALLOCATION_END * 2);
        assertThat(a.isLive(ALLOCATION_END)).isTrue();
        assertThat(a.expiresAtMillis()).isEqualTo(ALLOCATION_END * 2);
    }
}
