package dev.turnbridge.signaling.ice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LeastLoadedRelayTest {

    private static final RelayUris OWN = host -> List.of(List.of("stun:own"), List.of("turn:own"));

    private static RelayNode node(String id, long allocations, long bytes) {
        return new RelayNode(id, List.of("stun:" + id), List.of("turn:" + id), allocations, bytes);
    }

    private static String turn(LeastLoadedRelay relay) {
        return relay.forHost("ignored").get(1).get(0);
    }

    @Test
    void itsOwnRelayUntilItKnowsTheOthersAndWhenNoneIsLive() {
        LeastLoadedRelay relay = new LeastLoadedRelay(OWN);
        assertThat(turn(relay)).isEqualTo("turn:own");
        relay.update(List.of(node("a", 0, 0)));
        assertThat(turn(relay)).isEqualTo("turn:a");
        relay.update(List.of());
        assertThat(turn(relay)).isEqualTo("turn:own");
    }

    @Test
    void fewestAllocationsThenFewestBytesThenNodeId() {
        LeastLoadedRelay relay = new LeastLoadedRelay(OWN);
        relay.update(List.of(node("a", 5, 0), node("b", 2, 900), node("c", 2, 100)));
        assertThat(relay.forHost("x")).isEqualTo(List.of(List.of("stun:c"), List.of("turn:c")));
        relay.update(List.of(node("b", 1, 100), node("a", 1, 100)));
        assertThat(turn(relay)).isEqualTo("turn:a");
    }

    @Test
    void whatItIssuedBetweenRefreshesCountsSoABurstSpreads() {
        LeastLoadedRelay relay = new LeastLoadedRelay(OWN);
        relay.update(List.of(node("a", 3, 0), node("b", 0, 0)));
        assertThat(List.of(turn(relay), turn(relay), turn(relay), turn(relay), turn(relay)))
                .containsExactly("turn:b", "turn:b", "turn:b", "turn:a", "turn:b");
        relay.update(List.of(node("a", 3, 0), node("b", 0, 0))); // the next view starts over
        assertThat(turn(relay)).isEqualTo("turn:b");
    }
}
