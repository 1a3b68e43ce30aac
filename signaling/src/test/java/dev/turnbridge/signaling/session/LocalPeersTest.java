package dev.turnbridge.signaling.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.room.Member;
import org.junit.jupiter.api.Test;

class LocalPeersTest {

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
}
