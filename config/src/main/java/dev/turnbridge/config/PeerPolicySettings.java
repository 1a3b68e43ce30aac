package dev.turnbridge.config;

import java.util.List;

/**
 * Which peers the relay may exchange packets with. The built-in deny list (loopback, private, link-local,
 * metadata, multicast, reserved ranges and their IPv6 spellings) always applies; {@code deny} adds ranges;
 * {@code allow} re-opens ranges and wins over both.
 *
 * @param deny  extra CIDR ranges to refuse, e.g. {@code 203.0.113.0/24}
 * @param allow CIDR ranges to permit even when denied, e.g. {@code 127.0.0.1/32} for tests
 */
public record PeerPolicySettings(List<String> deny, List<String> allow) {
    public PeerPolicySettings {
        deny = List.copyOf(deny);
        allow = List.copyOf(allow);
    }
}
