package dev.turnbridge.config;

import java.util.List;

/**
 * Which peers the relay may exchange packets with. The built-in deny list (loopback, private, link-local,
 * metadata, multicast, reserved ranges and their IPv6 spellings) always applies; {@code deny} adds ranges;
 * {@code allow} re-opens ranges and wins over both.
 *
 * @param deny  extra CIDR ranges to refuse, e.g. {@code 203.0.113.0/24}
 * @param allow CIDR ranges to permit even when denied, e.g. {@code 127.0.0.1/32} for tests
 * @param roomMembersOnly whether a room member's permissions, channels, Send and Connect may only name the
 *              addresses of its own room's members (their relayed addresses and the source addresses of their
 *              signaling connections and TURN requests): 403 otherwise, even where deny/allow permit the peer
 */
public record PeerPolicySettings(List<String> deny, List<String> allow, boolean roomMembersOnly) {
    public PeerPolicySettings {
        deny = List.copyOf(deny);
        allow = List.copyOf(allow);
    }
}
