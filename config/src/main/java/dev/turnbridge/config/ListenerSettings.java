package dev.turnbridge.config;

import java.time.Duration;
import java.util.List;

/**
 * Client-facing listeners. An empty list switches that transport off; at least one listener must remain.
 *
 * @param udp                addresses ("host:port", IPv6 as "[::]:3478") on which STUN/TURN over UDP is served
 * @param tcp                addresses on which STUN/TURN over TCP is served (RFC 8656 §3.1)
 * @param tls                addresses on which STUN/TURN over TLS is served (RFC 8656 §3.1, RFC 7443 ALPN)
 * @param dtls               addresses on which STUN/TURN over DTLS 1.2 is served (RFC 7350), with the certificate
 *                           of the TLS listeners; empty (the default) switches DTLS off
 * @param maxDatagramSize    largest UDP datagram read from a client or peer, and largest STUN message or
 *                           ChannelData accepted on a TCP/TLS connection, in bytes; longer ones are dropped
 *                           (UDP) or close the connection (streams)
 * @param streamWriteBuffer  bytes that may wait to be written to one TCP/TLS client; beyond that, data from
 *                           peers is dropped until the client catches up, so a slow reader cannot exhaust memory
 * @param streamStallTimeout  a TCP/TLS client that keeps {@code streamWriteBuffer} bytes waiting (reads nothing)
 *                           this long is closed and counted
 * @param connectionsPerIp   concurrent TCP/TLS connections from one client IP; more are closed at accept
 * @param allocationTimeout  a TCP/TLS connection that holds no allocation this long after it opened (or after
 *                           its allocation ended) is closed, whatever Binding requests it sends
 * @param proxyProtocol      TCP/TLS listeners (of {@code tcp} and {@code tls}) behind an L4 load balancer that
 *                           starts every connection with a PROXY protocol v2 header naming the client
 * @param proxyProtocolSources CIDRs the PROXY protocol listeners accept connections from (the balancers);
 *                           a connection from elsewhere, or without a valid header, is closed
 */
public record ListenerSettings(List<HostPort> udp, List<HostPort> tcp, List<HostPort> tls, List<HostPort> dtls,
        int maxDatagramSize, int streamWriteBuffer, Duration streamStallTimeout, int connectionsPerIp,
        Duration allocationTimeout, List<HostPort> proxyProtocol, List<String> proxyProtocolSources) {
    public static final Duration DEFAULT_STREAM_STALL_TIMEOUT = Duration.ofSeconds(15);
    public static final int DEFAULT_CONNECTIONS_PER_IP = 128;
    public static final Duration DEFAULT_ALLOCATION_TIMEOUT = Duration.ofSeconds(30);

    public ListenerSettings {
        udp = List.copyOf(udp);
        tcp = List.copyOf(tcp);
        tls = List.copyOf(tls);
        dtls = List.copyOf(dtls);
        proxyProtocol = List.copyOf(proxyProtocol);
        proxyProtocolSources = List.copyOf(proxyProtocolSources);
    }

    /** Listeners with the default stream limits and no PROXY protocol. */
    public ListenerSettings(List<HostPort> udp, List<HostPort> tcp, List<HostPort> tls, List<HostPort> dtls,
            int maxDatagramSize, int streamWriteBuffer) {
        this(udp, tcp, tls, dtls, maxDatagramSize, streamWriteBuffer, DEFAULT_STREAM_STALL_TIMEOUT,
                DEFAULT_CONNECTIONS_PER_IP, DEFAULT_ALLOCATION_TIMEOUT, List.of(), List.of());
    }

    /** Listeners without DTLS (the default). */
    public ListenerSettings(List<HostPort> udp, List<HostPort> tcp, List<HostPort> tls, int maxDatagramSize,
            int streamWriteBuffer) {
        this(udp, tcp, tls, List.of(), maxDatagramSize, streamWriteBuffer);
    }
}
