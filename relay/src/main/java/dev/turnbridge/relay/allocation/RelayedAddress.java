package dev.turnbridge.relay.allocation;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * One relayed transport address of an allocation (RFC 8656 §2.2): the socket that talks to peers and the
 * address advertised for it in XOR-RELAYED-ADDRESS (they differ behind 1:1 NAT or with a wildcard bind).
 */
public record RelayedAddress(RelaySocket socket, InetSocketAddress advertised) {

    public boolean isIpv4() {
        return advertised.getAddress() instanceof Inet4Address;
    }
}
