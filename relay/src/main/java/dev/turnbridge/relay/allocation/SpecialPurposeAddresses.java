package dev.turnbridge.relay.allocation;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.relay.allocation.PeerPolicy.RefusalReason;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in deny list: the blocks of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890) that a relay on a public address must not send to, plus private and multicast space. It is the
 * fix for coturn's CVE-2020-26262, where peer {@code 0.0.0.0} reached the server's loopback.
 *
 * <p>IPv4: {@code 0.0.0.0/8} "this network" (unspecified; Linux delivers 0.0.0.0 to loopback),
 * {@code 10/8}, {@code 172.16/12}, {@code 192.168/16} (RFC 1918), {@code 100.64/10} (CGNAT, RFC 6598;
 * holds Alibaba Cloud's metadata at 100.100.100.200), {@code 127/8}, {@code 169.254/16} (link-local; the
 * cloud metadata service at 169.254.169.254), {@code 192.0.0.0/24} (IETF protocol assignments, including the
 * anycast 192.0.0.9-10, which are no relay peers), {@code 192.0.2/24}, {@code 198.51.100/24},
 * {@code 203.0.113/24} (documentation), {@code 192.88.99.0/24} (deprecated 6to4 relay anycast, RFC 7526),
 * {@code 198.18/15} (benchmarking), {@code 224/4} (multicast) and {@code 240/4} (reserved, including the
 * limited broadcast 255.255.255.255).
 *
 * <p>IPv6: {@code ::/128}, {@code ::1/128}, {@code fe80::/10}, {@code fc00::/7} (unique local, RFC 4193;
 * holds AWS's metadata at fd00:ec2::254), {@code fec0::/10} (site-local, RFC 3879: deprecated, but it was
 * IPv6's RFC 1918 and old networks still route it, so it counts as private), {@code ff00::/8},
 * {@code 2001:db8::/32} and {@code 3fff::/20} (documentation, RFC 3849 and RFC 9637), {@code 100::/64}
 * (discard-only, RFC 6666), {@code 2001:2::/48} (benchmarking), {@code 2001:10::/28} (ORCHID, deprecated),
 * {@code 2001:20::/28} (ORCHIDv2: IANA marks it globally reachable, but RFC 7343 §2 makes ORCHIDs
 * identifiers that are not routable as locators, so no real peer uses one), {@code 5f00::/16} (SRv6 SIDs,
 * RFC 9602). The rest of {@code 2001::/23} holds anycast services (PCP, TURN, AMT, AS112) that IANA marks
 * globally reachable; they stay permitted. Everything outside global unicast {@code 2000::/3} that is neither
 * listed here nor carries IPv4 ({@link Ipv4Embedding}) is unassigned IETF space and refused as reserved, see
 * {@link PeerPolicy}.
 */
final class SpecialPurposeAddresses {

    private record Block(Cidr range, RefusalReason reason) {
        Block(String range, RefusalReason reason) {
            this(Cidr.parse(range), reason);
        }
    }

    private static final Block[] IPV4 = {
        new Block("0.0.0.0/8", RefusalReason.UNSPECIFIED),
        new Block("10.0.0.0/8", RefusalReason.PRIVATE),
        new Block("100.64.0.0/10", RefusalReason.CGNAT),
        new Block("127.0.0.0/8", RefusalReason.LOOPBACK),
        new Block("169.254.0.0/16", RefusalReason.LINK_LOCAL),
        new Block("172.16.0.0/12", RefusalReason.PRIVATE),
        new Block("192.0.0.0/24", RefusalReason.RESERVED),
        new Block("192.0.2.0/24", RefusalReason.DOCUMENTATION),
        new Block("192.88.99.0/24", RefusalReason.RESERVED),
        new Block("192.168.0.0/16", RefusalReason.PRIVATE),
        new Block("198.18.0.0/15", RefusalReason.RESERVED),
        new Block("198.51.100.0/24", RefusalReason.DOCUMENTATION),
        new Block("203.0.113.0/24", RefusalReason.DOCUMENTATION),
        new Block("224.0.0.0/4", RefusalReason.MULTICAST),
        new Block("240.0.0.0/4", RefusalReason.RESERVED),
    };

    private static final Block[] IPV6 = {
        new Block("::/128", RefusalReason.UNSPECIFIED),
        new Block("::1/128", RefusalReason.LOOPBACK),
        new Block("fe80::/10", RefusalReason.LINK_LOCAL),
        new Block("fec0::/10", RefusalReason.PRIVATE),
        new Block("fc00::/7", RefusalReason.UNIQUE_LOCAL),
        new Block("ff00::/8", RefusalReason.MULTICAST),
        new Block("2001:db8::/32", RefusalReason.DOCUMENTATION),
        new Block("3fff::/20", RefusalReason.DOCUMENTATION),
        new Block("100::/64", RefusalReason.RESERVED),
        new Block("2001:2::/48", RefusalReason.RESERVED),
        new Block("2001:10::/28", RefusalReason.RESERVED),
        new Block("2001:20::/28", RefusalReason.RESERVED),
        new Block("5f00::/16", RefusalReason.RESERVED),
    };

    private SpecialPurposeAddresses() {
    }

    /** Why the built-in list refuses {@code address}, or null when it does not. */
    static RefusalReason ipv4(int address) {
        for (Block b : IPV4) {
            if (b.range.containsIpv4(address)) {
                return b.reason;
            }
        }
        return null;
    }

    /** Why the built-in list refuses {@code high:low}, or null; embedded IPv4 is not looked at here. */
    static RefusalReason ipv6(long high, long low) {
        for (Block b : IPV6) {
            if (b.range.containsIpv6(high, low)) {
                return b.reason;
            }
        }
        return null;
    }

    /** Whether an address with these top 64 bits is in global unicast space, {@code 2000::/3} (RFC 4291 §2.4). */
    static boolean isGlobalUnicast(long high) {
        return (high >>> 61) == 1;
    }

    /** The IPv4 blocks in order, for tests that try each in every IPv6 spelling. */
    static Map<Cidr, RefusalReason> ipv4Table() {
        return table(IPV4);
    }

    static Map<Cidr, RefusalReason> ipv6Table() {
        return table(IPV6);
    }

    private static Map<Cidr, RefusalReason> table(Block[] blocks) {
        Map<Cidr, RefusalReason> table = new LinkedHashMap<>();
        for (Block b : blocks) {
            table.put(b.range, b.reason);
        }
        return table;
    }
}
