package dev.turnbridge.config;

import java.util.List;

/**
 * Client-facing listeners.
 *
 * @param udp            addresses ("host:port", IPv6 as "[::]:3478") on which STUN/TURN over UDP is served
 * @param maxDatagramSize largest UDP datagram read from a client or peer, in bytes; longer ones are dropped
 */
public record ListenerSettings(List<HostPort> udp, int maxDatagramSize) {
    public ListenerSettings {
        udp = List.copyOf(udp);
    }
}
