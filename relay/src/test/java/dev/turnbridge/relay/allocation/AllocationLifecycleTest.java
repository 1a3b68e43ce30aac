package dev.turnbridge.relay.allocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.handler.RelayStats;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lifecycle events metrics hang off: creation, end reasons, and live permission and channel counts. */
class AllocationLifecycleTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);
    private static final InetSocketAddress PEER = new InetSocketAddress("198.51.100.1", 5000);
    private static final InetSocketAddress OTHER_PEER = new InetSocketAddress("198.51.100.2", 5000);

    private final RelayStats stats = new RelayStats();
    private final List<AllocationListener.EndReason> ended = new ArrayList<>();
    private final AllocationTable table = AllocationTable.withEndReasons((a, reason) -> {
        ended.add(reason);
        stats.ended(a, reason);
    });

    private Allocation allocate(int clientPort, long expiresAt) {
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", clientPort);
        Allocation a = new Allocation(new FiveTuple(client, SERVER, FiveTuple.Transport.UDP), "alice", new byte[16],
                new byte[12], new NoSocket(), new InetSocketAddress("203.0.113.7", 50000 + clientPort), 0,
                expiresAt, stats);
        table.put(a);
        stats.created(a);
        return a;
    }

    @Test
    void permissionsAndChannelsAreCountedWhileLiveAndReleasedWithTheAllocation() {
        Allocation a = allocate(1, 10_000);
        a.installPermission(PEER.getAddress(), 300, 10);
        a.installPermission(PEER.getAddress(), 400, 10); // a refresh is not a new permission
        a.installPermission(OTHER_PEER.getAddress(), 300, 10);
        a.bindChannel(0x4000, PEER, 600);
        a.bindChannel(0x4000, PEER, 700); // refresh
        assertThat(stats.permissionsActive.sum()).isEqualTo(2);
        assertThat(stats.channelsActive.sum()).isEqualTo(1);
        assertThat(stats.active(FiveTuple.Transport.UDP, 0)).isEqualTo(1);

        a.expire(350); // OTHER_PEER's permission (300) is gone, PEER's (400) is not
        assertThat(stats.permissionsActive.sum()).isEqualTo(1);

        table.remove(a.fiveTuple().client());
        assertThat(ended).containsExactly(AllocationListener.EndReason.DELETED);
        assertThat(stats.permissionsActive.sum()).isZero();
        assertThat(stats.channelsActive.sum()).isZero();
        assertThat(stats.active(FiveTuple.Transport.UDP, 0)).isZero();
        assertThat(stats.ended(AllocationListener.EndReason.DELETED)).isEqualTo(1);
    }

    @Test
    void endReasonsTellExpiryAdminAndShutdownApart() {
        allocate(1, 100);
        allocate(2, 10_000);
        allocate(3, 10_000);
        allocate(4, 10_000);

        table.expire(200);
        assertThat(table.removeIf(a -> a.fiveTuple().client().getPort() == 2, AllocationListener.EndReason.ADMIN))
                .isEqualTo(1);
        assertThat(table.get(new InetSocketAddress("127.0.0.1", 3), 20_000)).isNull(); // expired on lookup
        table.clear();

        assertThat(ended).containsExactly(AllocationListener.EndReason.EXPIRED, AllocationListener.EndReason.ADMIN,
                AllocationListener.EndReason.EXPIRED, AllocationListener.EndReason.SHUTDOWN);
        assertThat(stats.allocationsCreated.sum()).isEqualTo(4);
        assertThat(stats.active(FiveTuple.Transport.UDP, 0)).isZero();
    }

    @Test
    void infoCarriesNoKeys() {
        Allocation a = allocate(1, 10_000);
        a.countToPeer(100);
        a.countToClient(40);
        AllocationInfo info = a.info();
        assertThat(info.username()).isEqualTo("alice");
        assertThat(info.family()).isEqualTo("ipv4");
        assertThat(info.bytesToPeer()).isEqualTo(100);
        assertThat(info.bytesToClient()).isEqualTo(40);
        assertThat(AllocationInfo.class.getRecordComponents())
                .extracting(c -> c.getName().toLowerCase())
                .noneMatch(n -> n.contains("key") || n.contains("integrity") || n.contains("transaction"));
    }

    private static final class NoSocket implements RelaySocket {
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
        }
    }
}
