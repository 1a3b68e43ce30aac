package dev.turnbridge.config;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An address range as written in {@code peers.deny} and {@code peers.allow}: {@code a.b.c.d/n}, {@code v6/n},
 * or a bare address meaning /32 or /128. Only checked here; the relay's peer policy does the matching.
 */
record Cidr(InetAddress address, int prefixLength) {

    static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("empty range");
        }
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        InetAddress address = IpLiteral.parse(host);
        int max = IpLiteral.isIpv6Syntax(host) ? 128 : 32;
        int prefix = max;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}")) {
                throw new IllegalArgumentException("prefix is not a number");
            }
            prefix = Integer.parseInt(p);
        }
        if (prefix > max) {
            throw new IllegalArgumentException("prefix out of range");
        }
        // The JDK turns ::ffff:a.b.c.d into an IPv4 address; carry the prefix over to the IPv4 bits.
        if (max == 128 && address instanceof Inet4Address) {
            if (prefix < 96) {
                throw new IllegalArgumentException("IPv4-mapped range needs a prefix of at least 96");
            }
            prefix -= 96;
        }
        return new Cidr(address, prefix);
    }
}
