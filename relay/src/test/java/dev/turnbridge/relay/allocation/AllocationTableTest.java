package dev.turnbridge.relay.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllocationTableTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("192.0.2.1", 3478);
    private static final InetSocketAddress ALICE = new InetSocketAddress("203.0.113.1", 40000);
    private static final InetSocketAddress ALICE_OTHER_PORT = new InetSocketAddress("203.0.113.1", 40001);
    private static final InetSocketAddress BOB = new InetSocketAddress("203.0.113.2", 40000);

    private final List<Allocation> removed = new ArrayList<>();
    private final AllocationTable table = new AllocationTable(removed::add);

    private static Allocation allocation(InetSocketAddress client, long expiresAt) {
        return new Allocation(new FiveTuple(client, SERVER, FiveTuple.Transport.UDP), "user", new byte[16],
                new byte[12], null, new InetSocketAddress("192.0.2.1", 50000), expiresAt);
    }

    @Test
    void getFindsLiveAllocationByClientTransportAddress() {
        Allocation a = allocation(ALICE, 1000);
        table.put(a);
        assertThat(table.get(ALICE, 999)).isSameAs(a);
        assertThat(table.get(ALICE_OTHER_PORT, 0)).isNull();
        assertThat(table.get(BOB, 0)).isNull();
        assertThat(removed).isEmpty();
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void getRemovesAnExpiredAllocationAndReportsItOnce() {
        Allocation a = allocation(ALICE, 1000);
        table.put(a);
        assertThat(table.get(ALICE, 1000)).isNull();
        assertThat(removed).containsExactly(a);
        assertThat(table.size()).isZero();
        assertThat(table.get(ALICE, 1000)).isNull();
        assertThat(table.get(ALICE, 0)).as("gone, even for an earlier clock").isNull();
        table.expire(2000);
        table.clear();
        assertThat(removed).containsExactly(a);
    }

    @Test
    void removeReportsOnceAndIgnoresUnknownClients() {
        Allocation a = allocation(ALICE, 1000);
        table.put(a);
        table.remove(BOB);
        assertThat(removed).isEmpty();
        table.remove(ALICE);
        table.remove(ALICE);
        assertThat(removed).containsExactly(a);
        assertThat(table.get(ALICE, 0)).isNull();
    }

    @Test
    void expireEndsExpiredAllocationsAndPrunesTheOthers() throws Exception {
        Allocation old = allocation(ALICE, 1000);
        Allocation live = allocation(BOB, 10_000);
        InetAddress peer = InetAddress.getByName("198.51.100.7");
        live.installPermission(peer, 1500, 10);
        table.put(old);
        table.put(live);

        table.expire(999);
        assertThat(removed).isEmpty();
        assertThat(live.hasPermission(peer)).isTrue();

        table.expire(1500);
        assertThat(removed).containsExactly(old);
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.get(BOB, 1500)).isSameAs(live);
        assertThat(live.hasPermission(peer)).as("expired permission of a live allocation swept").isFalse();

        table.expire(1500);
        assertThat(removed).containsExactly(old);
    }

    @Test
    void callbackMayUseTheTableDuringExpire() {
        List<Integer> sizes = new ArrayList<>();
        AllocationTable[] ref = new AllocationTable[1];
        ref[0] = new AllocationTable(a -> sizes.add(ref[0].size()));
        ref[0].put(allocation(ALICE, 1));
        ref[0].put(allocation(BOB, 1));
        ref[0].expire(1);
        assertThat(sizes).containsExactly(0, 0);
    }

    @Test
    void clearEndsEveryAllocation() {
        Allocation a = allocation(ALICE, 1000);
        Allocation b = allocation(BOB, 1000);
        table.put(a);
        table.put(b);
        table.clear();
        assertThat(removed).containsExactlyInAnyOrder(a, b);
        assertThat(table.size()).isZero();
        table.clear();
        assertThat(removed).hasSize(2);
    }

    @Test
    void refreshedAllocationSurvivesItsOriginalExpiry() {
        Allocation a = allocation(ALICE, 1000);
        table.put(a);
        a.refresh(5000);
        assertThat(table.get(ALICE, 1000)).isSameAs(a);
        table.expire(4999);
        assertThat(removed).isEmpty();
    }

    @Test
    void pendingMarks() {
        assertThat(table.isPending(ALICE)).isFalse();
        assertThat(table.markPending(ALICE)).isTrue();
        assertThat(table.markPending(ALICE)).as("a retransmission finds it pending").isFalse();
        assertThat(table.isPending(ALICE)).isTrue();
        assertThat(table.isPending(ALICE_OTHER_PORT)).isFalse();
        assertThat(table.isPending(BOB)).isFalse();
        table.clearPending(ALICE);
        assertThat(table.isPending(ALICE)).isFalse();
        assertThat(table.markPending(ALICE)).isTrue();
        table.clearPending(BOB); // not pending: nothing happens
        assertThat(table.isPending(ALICE)).isTrue();
        assertThat(table.size()).as("pending is not an allocation").isZero();
    }
}
