package dev.turnbridge.relay.allocation;

import java.net.InetSocketAddress;

/**
 * The client's 5-tuple (RFC 8656 §2): client address, server address the client reached, and transport
 * protocol. An allocation is identified by it.
 */
public record FiveTuple(InetSocketAddress client, InetSocketAddress server, Transport transport) {

    public enum Transport { UDP, TCP, TLS, DTLS }
}
