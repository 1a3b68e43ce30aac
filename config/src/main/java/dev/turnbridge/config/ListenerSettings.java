package dev.turnbridge.config;

import java.util.List;

/**
 * Client-facing listeners. An empty list switches that transport off; at least one listener must remain.
 *
 * @param udp                addresses ("host:port", IPv6 as "[::]:3478") on which STUN/TURN over UDP is served
 * @param tcp                addresses on which STUN/TURN over TCP is served (RFC 8656 §3.1)
 * @param tls                addresses on which STUN/TURN over TLS is served (RFC 8656 §3.1, RFC 7443 ALPN)
 * @param maxDatagramSize    largest UDP datagram read from a client or peer, and largest STUN message or
 *                           ChannelData accepted on a TCP/TLS connection, in bytes; longer ones are dropped
 *                           (UDP) or close the connection (streams)
 * @param streamWriteBuffer  bytes that may wait to be written to one TCP/TLS client; beyond that, data from
 *                           peers is dropped until the client catches up, so a slow reader cannot exhaust memory
 */
public record ListenerSettings(List<HostPort> udp, List<HostPort> tcp, List<HostPort> tls, int maxDatagramSize,
        int streamWriteBuffer) {
    public ListenerSettings {
        udp = List.copyOf(udp);
        tcp = List.copyOf(tcp);
        tls = List.copyOf(tls);
    }
}
