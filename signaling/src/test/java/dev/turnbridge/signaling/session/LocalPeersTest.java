package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.room.Member;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class LocalPeersTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Peer peer(String id, String room) {
        return new Peer(new Member(id, Json.object(), null), room, new byte[32], false, false, false);
    }

    @Test
    void findsARoomsPeersWithoutLookingAtOtherRooms() {
        LocalPeers peers = new LocalPeers();
        Peer a = peer("a", "ROOM1");
        Peer b = peer("b", "ROOM1");
        Peer c = peer("c", "ROOM2");
        peers.put("a", a);
        peers.put("b", b);
        peers.put("c", c);

        assertThat(peers.inRoom("ROOM1")).containsExactly(a, b);
        assertThat(peers.inRoom("ROOM2")).containsExactly(c);
        assertThat(peers.inRoom("NONE")).isEmpty();
        assertThat(peers.rooms()).containsExactlyInAnyOrder("ROOM1", "ROOM2");
        assertThat(peers.size()).isEqualTo(3);
    }

    @Test
    void aRoomIsForgottenWithItsLastPeer() {
        LocalPeers peers = new LocalPeers();
        peers.put("a", peer("a", "ROOM1"));
        peers.put("b", peer("b", "ROOM1"));

        assertThat(peers.remove("a")).isNotNull();
        assertThat(peers.hasRoom("ROOM1")).isTrue();
        assertThat(peers.remove("b")).isNotNull();
        assertThat(peers.hasRoom("ROOM1")).isFalse();
        assertThat(peers.remove("b")).isNull();
        assertThat(peers.rooms()).isEmpty();
    }

    @Test
    void aPeerPutAgainUnderItsIdLeavesItsOldRoomsIndex() {
        LocalPeers peers = new LocalPeers();
        Peer before = peer("a", "ROOM1");
        Peer after = peer("a", "ROOM2");
        peers.put("a", before);
        peers.put("a", after);

        assertThat(peers.get("a")).isSameAs(after);
        assertThat(peers.hasRoom("ROOM1")).isFalse();
        assertThat(peers.inRoom("ROOM2")).containsExactly(after);
        assertThat(peers.values()).containsExactly(after);
    }

    @Test
    void clearForgetsEverything() {
        LocalPeers peers = new LocalPeers();
        peers.put("a", peer("a", "ROOM1"));
        peers.clear();
        assertThat(peers.size()).isZero();
        assertThat(peers.containsKey("a")).isFalse();
        assertThat(peers.rooms()).isEmpty();
    }

    @Test
    void onlyDueTimersAreTakenSoonestFirstAndEachPeerHasOne() {
        LocalPeers peers = new LocalPeers();
        Peer a = peer("a", "ROOM1");
        Peer b = peer("b", "ROOM1");
        Peer c = peer("c", "ROOM2");
        peers.put("a", a);
        peers.put("b", b);
        peers.put("c", c);
        peers.schedule(a, T0.plusSeconds(30));
        peers.schedule(b, T0.plusSeconds(10));
        peers.schedule(c, T0.plusSeconds(10));
        peers.schedule(a, T0.plusSeconds(20)); // moved: its 30 s timer is gone

        assertThat(peers.due(T0.plusSeconds(9))).isEmpty();
        assertThat(peers.due(T0.plusSeconds(10))).containsExactly(b, c);
        assertThat(peers.due(T0.plusSeconds(10))).isEmpty();
        assertThat(peers.due(T0.plusSeconds(60))).containsExactly(a);
        assertThat(peers.due(T0.plusSeconds(3600))).isEmpty();
    }

    @Test
    void aRemovedPeersTimerGoesWithIt() {
        LocalPeers peers = new LocalPeers();
        Peer a = peer("a", "ROOM1");
        Peer outside = peer("x", "ROOM1");
        peers.put("a", a);
        peers.schedule(a, T0);
        peers.schedule(outside, T0); // not held here: no timer
        peers.remove("a");
        assertThat(peers.due(T0.plusSeconds(1))).isEmpty();

        peers.put("a", a);
        peers.schedule(a, T0);
        peers.schedule(a, null); // never
        assertThat(peers.due(T0.plusSeconds(1))).isEmpty();

        peers.schedule(a, T0);
        peers.clear();
        assertThat(peers.due(T0.plusSeconds(1))).isEmpty();
        assertThat(a.timer).isNull();
    }

    @Test
    void theShardsShareOneIndexOfTheNodesPeers() {
        Map<String, Peer> node = new ConcurrentHashMap<>();
        LocalPeers one = new LocalPeers(node);
        LocalPeers two = new LocalPeers(node);
        Peer a = peer("a", "ROOM1");
        one.put("a", a);
        two.put("b", peer("b", "ROOM2"));

        assertThat(two.onThisNode("a")).isTrue();
        assertThat(two.containsKey("a")).isFalse();
        one.remove("a");
        assertThat(two.onThisNode("a")).isFalse();
        two.clear();
        assertThat(node).isEmpty();
    }
}
