package dev.turnbridge.relay.allocation;

/**
 * The ways an IPv6 address carries an IPv4 address that a host or a translator on the path may end up
 * delivering to. The peer policy checks the carried address against the IPv4 rules, so that
 * {@code ::ffff:127.0.0.1} or {@code 64:ff9b::a9fe:a9fe} cannot reach what {@code 127.0.0.1} or
 * {@code 169.254.169.254} may not.
 *
 * <p>Each constant matches on the 128-bit address as two longs, {@code high} (bits 0-63) and {@code low}
 * (bits 64-127).
 */
enum Ipv4Embedding {

    /** {@code ::ffff:0:0/96}, IPv4-mapped (RFC 4291 §2.5.5.2); dual-stack sockets send these as IPv4. */
    MAPPED(-1L, 0, 0xffffffff00000000L, 0x0000ffff00000000L),

    /**
     * {@code ::/96}, IPv4-compatible (RFC 4291 §2.5.5.1, deprecated), except {@code ::} and {@code ::1},
     * which the IPv6 rules refuse as unspecified and loopback.
     */
    COMPATIBLE(-1L, 0, 0xffffffff00000000L, 0) {
        @Override
        boolean matches(long high, long low) {
            return super.matches(high, low) && (low & 0xffffffffL) > 1;
        }
    },

    /** {@code ::ffff:0:0:0/96}, IPv4-translated (RFC 2765 §2.1, SIIT). */
    TRANSLATED(-1L, 0, 0xffffffff00000000L, 0xffff000000000000L),

    /** {@code 64:ff9b::/96}, the NAT64 well-known prefix (RFC 6052 §2.1); IPv4 in the last 32 bits. */
    NAT64(-1L, 0x0064ff9b00000000L, 0xffffffff00000000L, 0),

    /**
     * {@code 64:ff9b:1::/48}, NAT64 local use (RFC 8215). Decoded as a /96 translation prefix, IPv4 in the
     * last 32 bits, which is how it is deployed in practice; the /48../64 layouts of RFC 6052 §2.2 would put
     * it elsewhere and are not decoded (an operator using one should deny the prefix).
     */
    NAT64_LOCAL(0xffffffffffff0000L, 0x0064ff9b00010000L, 0, 0),

    /** {@code 2002::/16}, 6to4 (RFC 3056 §2); the relay router's IPv4 in bits 16-47. */
    SIX_TO_FOUR(0xffff000000000000L, 0x2002000000000000L, 0, 0) {
        @Override
        int ipv4(long high, long low) {
            return (int) (high >>> 16);
        }
    },

    /**
     * {@code 2001::/32}, Teredo (RFC 4380 §4): the server's IPv4 in bits 32-63 and the client's mapped address
     * in the last 32 bits, inverted. Both are checked, since either is a host packets may be sent to.
     */
    TEREDO(0xffffffff00000000L, 0x2001000000000000L, 0, 0) {
        @Override
        int ipv4(long high, long low) {
            return (int) high;
        }

        @Override
        boolean hasSecond() {
            return true;
        }

        @Override
        int secondIpv4(long high, long low) {
            return ~(int) low;
        }
    };

    // values() clones its array on every call; the policy runs per packet.
    private static final Ipv4Embedding[] ALL = values();

    private final long highMask;
    private final long highValue;
    private final long lowMask;
    private final long lowValue;

    Ipv4Embedding(long highMask, long highValue, long lowMask, long lowValue) {
        this.highMask = highMask;
        this.highValue = highValue;
        this.lowMask = lowMask;
        this.lowValue = lowValue;
    }

    /** The embedding {@code high:low} uses, or null when it carries no IPv4 address. */
    static Ipv4Embedding of(long high, long low) {
        for (Ipv4Embedding e : ALL) {
            if (e.matches(high, low)) {
                return e;
            }
        }
        return null;
    }

    boolean matches(long high, long low) {
        return (high & highMask) == highValue && (low & lowMask) == lowValue;
    }

    /** The carried IPv4 address; for Teredo, the server's. */
    int ipv4(long high, long low) {
        return (int) low;
    }

    /** Whether a second IPv4 address is carried (Teredo's client). */
    boolean hasSecond() {
        return false;
    }

    int secondIpv4(long high, long low) {
        throw new UnsupportedOperationException(name() + " carries one IPv4 address");
    }
}
