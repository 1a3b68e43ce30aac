package dev.turnbridge.config;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An address range in CIDR notation (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6), such as
 * {@code 10.0.0.0/8} or {@code fc00::/7}; a bare address is a single host. Host bits are cleared, so
 * {@code 10.1.2.3/8} is {@code 10.0.0.0/8}. An IPv4-mapped IPv6 range of prefix 96 or longer
 * ({@code ::ffff:10.0.0.0/104}) is stored as the IPv4 range it names, because Java hands such peers to us as
 * {@link Inet4Address}; written with a dotted quad and a shorter prefix it is refused, as a mistake.
 *
 * <p>The one reading of ranges: settings are validated with it and the relay's peer policy, the PROXY
 * protocol sources and the signaling's trusted proxies match with it. Ranges are family-strict: an IPv4
 * range never contains an IPv6 address; looking inside IPv6 addresses for embedded IPv4 is the peer
 * policy's job. The range is kept as masked integers so that
 * {@link #contains} is a couple of ANDs and compares.
 */
public final class Cidr {

    private final boolean ipv4;
    private final int prefixLength;
    private final int ipv4Network;
    private final int ipv4Mask;
    private final long ipv6High;
    private final long ipv6Low;
    private final long ipv6HighMask;
    private final long ipv6LowMask;

    private Cidr(boolean ipv4, int prefixLength, int ipv4Network, long ipv6High, long ipv6Low) {
        this.ipv4 = ipv4;
        this.prefixLength = prefixLength;
        this.ipv4Mask = ipv4 ? ipv4Mask(prefixLength) : 0;
        this.ipv4Network = ipv4Network & ipv4Mask;
        int p = ipv4 ? 0 : prefixLength;
        // Java masks shift distances to 6 bits, so -1L << 64 is -1L: the 0 and >= 64 cases are explicit.
        this.ipv6HighMask = p == 0 ? 0 : p >= 64 ? -1L : -1L << (64 - p);
        this.ipv6LowMask = p <= 64 ? 0 : -1L << (128 - p);
        this.ipv6High = ipv6High & ipv6HighMask;
        this.ipv6Low = ipv6Low & ipv6LowMask;
    }

    /**
     * Parses {@code a.b.c.d/n}, {@code x::y/n} or a bare address.
     *
     * @throws IllegalArgumentException naming the text and the reason it is not a range
     */
    public static Cidr parse(String text) {
        if (text == null) {
            // a null list entry in the settings file: a clear refusal, as config's own parser gave before
            throw new IllegalArgumentException("invalid CIDR: empty range");
        }
        try {
            int slash = text.indexOf('/');
            byte[] address = IpLiteral.bytes(slash < 0 ? text : text.substring(0, slash));
            int max = address.length * 8;
            int prefix = slash < 0 ? max : prefixLength(text.substring(slash + 1), max);
            if (address.length == 4) {
                return new Cidr(true, prefix, ipv4(address), 0, 0);
            }
            long high = high(address);
            long low = low(address);
            if (high == 0 && (low >>> 32) == 0xffffL) {
                if (prefix >= 96) {
                    return new Cidr(true, prefix - 96, (int) low, 0, 0);
                }
                if (text.indexOf('.') >= 0) {
                    // ::ffff:10.0.0.0/64 names an IPv4 network but its prefix cuts into the IPv6 bits: a mistake
                    throw new IllegalArgumentException("an IPv4-mapped range needs a prefix of at least 96");
                }
            }
            return new Cidr(false, prefix, 0, high, low);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CIDR '" + text + "': " + e.getMessage(), e);
        }
    }

    private static int prefixLength(String digits, int max) {
        if (digits.isEmpty() || digits.length() > 3) {
            throw new IllegalArgumentException("prefix length must be 0.." + max);
        }
        int value = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("prefix length must be 0.." + max);
            }
            value = value * 10 + (c - '0');
        }
        if (value > max) {
            throw new IllegalArgumentException("prefix length " + value + " exceeds " + max);
        }
        return value;
    }

    /** Whether {@code address} is in this range; always false across families. */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 4 ? containsIpv4(ipv4(bytes)) : containsIpv6(high(bytes), low(bytes));
    }

    /** {@link #contains} for an IPv4 address in its {@link #ipv4} form. */
    public boolean containsIpv4(int address) {
        return ipv4 && (address & ipv4Mask) == ipv4Network;
    }

    /** {@link #contains} for an IPv6 address in its {@link #high} and {@link #low} form. */
    public boolean containsIpv6(long high, long low) {
        return !ipv4 && (high & ipv6HighMask) == ipv6High && (low & ipv6LowMask) == ipv6Low;
    }

    public boolean isIpv4() {
        return ipv4;
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** The canonical text: network address (RFC 5952 form for IPv6) and prefix length. */
    @Override
    public String toString() {
        if (ipv4) {
            return (ipv4Network >>> 24) + "." + (ipv4Network >>> 16 & 0xff) + "." + (ipv4Network >>> 8 & 0xff) + "."
                    + (ipv4Network & 0xff) + "/" + prefixLength;
        }
        return ipv6Text(ipv6High, ipv6Low) + "/" + prefixLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.ipv4 == ipv4 && c.prefixLength == prefixLength
                && c.ipv4Network == ipv4Network && c.ipv6High == ipv6High && c.ipv6Low == ipv6Low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ipv6High * 31 + ipv6Low) * 31 + ipv4Network * 31 + prefixLength;
    }

    // The numeric forms below are how the policy compares addresses without allocating.

    /** The 4 bytes of an IPv4 address as one int, for range arithmetic. */
    public static int ipv4(byte[] b) {
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    /** The first 8 bytes of an IPv6 address as one long. */
    public static long high(byte[] b) {
        return word(b, 0);
    }

    /** The last 8 bytes of an IPv6 address as one long. */
    public static long low(byte[] b) {
        return word(b, 8);
    }

    private static long word(byte[] b, int from) {
        long w = 0;
        for (int i = from; i < from + 8; i++) {
            w = w << 8 | (b[i] & 0xff);
        }
        return w;
    }

    private static int ipv4Mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** RFC 5952 §4: lower-case hex, no leading zeros, the longest run (two or more) of zero groups as "::". */
    private static String ipv6Text(long high, long low) {
        int[] groups = new int[8];
        for (int g = 0; g < 8; g++) {
            long word = g < 4 ? high : low;
            groups[g] = (int) (word >>> (48 - 16 * (g % 4))) & 0xffff;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int g = 0; g < 8; ) {
            int end = g;
            while (end < 8 && groups[end] == 0) {
                end++;
            }
            if (end - g > bestLength) {
                bestStart = g;
                bestLength = end - g;
            }
            g = Math.max(end, g + 1);
        }
        StringBuilder text = new StringBuilder(40);
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                text.append("::");
                g += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[g]));
        }
        return text.toString();
    }
}
