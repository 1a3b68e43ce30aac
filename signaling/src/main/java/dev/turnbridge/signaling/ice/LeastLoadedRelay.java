package dev.turnbridge.signaling.ice;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code relay.nodes: redis}: a member's {@code iceServers} name the least-loaded live relay of all nodes that
 * share the secret, by allocations, then relayed bytes per second, then node id (so every node picks the same
 * one). The view is refreshed every few seconds ({@link #update}); between refreshes, the credentials this
 * node issued for a relay count as allocations there, so a burst of joins spreads instead of all going to the
 * relay that was idlest at the last refresh. Until the first view, and when no node is live, its own relay.
 */
public final class LeastLoadedRelay implements RelayUris {

    private final RelayUris own;
    private List<RelayNode> live = List.of();
    private final Map<String, Long> issuedSinceUpdate = new HashMap<>();

    public LeastLoadedRelay(RelayUris own) {
        this.own = own;
    }

    /** The live nodes, this one included, as Redis has them now. */
    public synchronized void update(List<RelayNode> nodes) {
        live = List.copyOf(nodes);
        issuedSinceUpdate.clear();
    }

    @Override
    public synchronized List<List<String>> forHost(String hostHeader) {
        RelayNode best = live.stream().min(Comparator.<RelayNode>comparingLong(
                n -> n.allocations() + issuedSinceUpdate.getOrDefault(n.node(), 0L))
                .thenComparingLong(RelayNode::bytesPerSecond).thenComparing(RelayNode::node)).orElse(null);
        if (best == null) {
            return own.forHost(hostHeader);
        }
        issuedSinceUpdate.merge(best.node(), 1L, Long::sum);
        return List.of(best.stun(), best.turn());
    }
}
