package dev.turnbridge.signaling.ice;

import java.util.List;

/**
 * One live relay node as the others see it: its URIs and its load (allocations, relayed bytes per second
 * both ways), as it last published them.
 */
public record RelayNode(String node, List<String> stun, List<String> turn, long allocations, long bytesPerSecond) {

    public RelayNode {
        stun = List.copyOf(stun);
        turn = List.copyOf(turn);
    }
}
