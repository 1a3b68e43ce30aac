package dev.turnbridge.relay.handler;

import dev.turnbridge.config.RelaySettings;
import dev.turnbridge.relay.allocation.FiveTuple;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Which local address relay sockets of each family bind to and which address XOR-RELAYED-ADDRESS advertises:
 * the configured external address of that family (1:1 NAT), else a specific bind address, else the address
 * the client reached when it is of that family, else loopback for a client on this host, else the local
 * address the kernel would use to reach the client (or, for the other family, the Internet).
 */
final class RelayAddresses {
    // documentation addresses (RFC 5737, RFC 3849): only a routing-table lookup, nothing is ever sent; they
    // take the default route as any Internet address would
    private static final InetSocketAddress IPV6_INTERNET = new InetSocketAddress(literal("2001:db8::1"), 9);
    private static final InetSocketAddress IPV4_INTERNET = new InetSocketAddress(literal("192.0.2.1"), 9);

    private final InetAddress bind;
    private final InetAddress bindV6;
    private final InetAddress external;

    RelayAddresses(RelaySettings settings) {
        this.bind = literal(settings.address());
        this.bindV6 = settings.addressV6().isEmpty() ? null : literal(settings.addressV6());
        this.external = settings.externalAddress() == null || settings.externalAddress().isEmpty()
                ? null : literal(settings.externalAddress());
    }

    /** True when IPv6 allocations are served ({@code relay.address-v6} set). */
    boolean servesIpv6() {
        return bindV6 != null;
    }

    InetAddress bindAddress() {
        return bind;
    }

    /** The bind address for relay sockets of one family; null for IPv6 when not served. */
    InetAddress bindAddress(boolean ipv6) {
        return ipv6 ? bindV6 : bind;
    }

    InetAddress advertised(FiveTuple fiveTuple) {
        return advertised(fiveTuple, false);
    }

    /** The advertised address of the family, or null when this host has none to offer. */
    InetAddress advertised(FiveTuple fiveTuple, boolean ipv6) {
        if (ipv6 && bindV6 == null) {
            return null;
        }
        if (external != null && isIpv6(external) == ipv6) {
            return external;
        }
        InetAddress configured = ipv6 ? bindV6 : bind;
        if (!configured.isAnyLocalAddress()) {
            return configured;
        }
        InetAddress reached = fiveTuple.server().getAddress();
        if (!reached.isAnyLocalAddress() && isIpv6(reached) == ipv6) {
            return reached;
        }
        InetSocketAddress client = fiveTuple.client();
        if (client.getAddress().isLoopbackAddress()) {
            // a client on this host reaches either family's loopback address
            return literal(ipv6 ? "::1" : "127.0.0.1");
        }
        InetSocketAddress target = isIpv6(client.getAddress()) == ipv6 ? client : ipv6 ? IPV6_INTERNET : IPV4_INTERNET;
        // connect() on a datagram socket only consults the routing table; nothing is sent
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(target);
            InetAddress local = probe.getLocalAddress();
            return local == null || local.isAnyLocalAddress() || isIpv6(local) != ipv6 ? null : local;
        } catch (IOException | RuntimeException e) {
            return null; // no route of that family
        }
    }

    private static boolean isIpv6(InetAddress ip) {
        return ip instanceof Inet6Address;
    }

    private static InetAddress literal(String ip) {
        try {
            // settings validation guarantees an IP literal, so this performs no name lookup
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal: " + ip, e);
        }
    }
}
