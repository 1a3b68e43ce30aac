package dev.turnbridge.relay.allocation;

import dev.turnbridge.config.IpLiteral;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Addresses for the policy tests, built from literal bytes, never through name resolution. */
final class TestAddresses {
    private TestAddresses() {
    }

    /** IPv4-mapped text comes back as Inet4Address, as the JDK hands such peers to the relay. */
    static InetAddress ip(String literal) {
        return IpLiteral.address(literal);
    }

    /** As {@link #ip} but keeps the 16-byte form, as a peer decoded from an XOR-PEER-ADDRESS may arrive. */
    static InetAddress ip6(String literal) {
        try {
            return Inet6Address.getByAddress(null, IpLiteral.bytes(literal), -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@link #ip6} for IPv6 text, {@link #ip} for IPv4 text. */
    static InetAddress ip6OrIp(String literal) {
        return literal.contains(":") ? ip6(literal) : ip(literal);
    }
}
