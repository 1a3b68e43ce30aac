package dev.turnbridge.relay.allocation;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.config.PeerPolicySettings;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which peers an allocation may relay to (RFC 8656 §9: the server may refuse a peer address; CreatePermission
 * and ChannelBind then fail with 403 Forbidden, and Send indications and ChannelData to it are dropped).
 *
 * <p>A peer is refused when its address, or an IPv4 address embedded in it ({@link Ipv4Embedding}), is in
 * the built-in deny list ({@link SpecialPurposeAddresses}) or a configured deny range, unless the address or
 * that embedded IPv4 address is in a configured allow range: allow wins. Teredo carries two IPv4 addresses;
 * each must pass on its own. IPv6 outside {@code 2000::/3} that is neither special-purpose nor an IPv4
 * carrier is unassigned and refused as {@link RefusalReason#RESERVED}.
 *
 * <p>{@link #check} runs per Send indication, so it works on the address as an int or two longs against
 * precomputed masks and allocates nothing beyond {@link InetAddress#getAddress()}'s copy.
 */
public final class PeerPolicy {

    private final Cidr[] denyIpv4;
    private final Cidr[] denyIpv6;
    private final Cidr[] allowIpv4;
    private final Cidr[] allowIpv6;

    private PeerPolicy(List<Cidr> deny, List<Cidr> allow) {
        this.denyIpv4 = family(deny, true);
        this.denyIpv6 = family(deny, false);
        this.allowIpv4 = family(allow, true);
        this.allowIpv6 = family(allow, false);
    }

    /**
     * The policy for {@code settings}.
     *
     * @throws IllegalArgumentException naming the first entry that is not a CIDR range, e.g.
     *     {@code "deny[1]: invalid CIDR '10.0.0.0/33': prefix length 33 exceeds 32"}
     */
    public static PeerPolicy from(PeerPolicySettings settings) {
        return new PeerPolicy(parse("deny", settings.deny()), parse("allow", settings.allow()));
    }

    /** The built-in deny list alone. */
    public static PeerPolicy defaults() {
        return new PeerPolicy(List.of(), List.of());
    }

    private static List<Cidr> parse(String name, List<String> ranges) {
        Cidr[] parsed = new Cidr[ranges.size()];
        for (int i = 0; i < parsed.length; i++) {
            try {
                parsed[i] = Cidr.parse(ranges.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return List.of(parsed);
    }

    private static Cidr[] family(List<Cidr> ranges, boolean ipv4) {
        List<Cidr> matching = new ArrayList<>();
        for (Cidr c : ranges) {
            if (c.isIpv4() == ipv4) {
                matching.add(c);
            }
        }
        return matching.toArray(new Cidr[0]);
    }

    /** Whether the relay may exchange packets with {@code peer}, and if not, why. */
    public Verdict check(InetAddress peer) {
        byte[] bytes = peer.getAddress();
        if (bytes.length == 4) {
            return checkIpv4(Cidr.ipv4(bytes));
        }
        long high = Cidr.high(bytes);
        long low = Cidr.low(bytes);
        if (any(allowIpv6, high, low)) {
            return Verdict.PERMITTED;
        }
        RefusalReason reason = SpecialPurposeAddresses.ipv6(high, low);
        if (reason == null && any(denyIpv6, high, low)) {
            reason = RefusalReason.CONFIGURED_DENY;
        }
        if (reason != null) {
            return Verdict.refused(reason);
        }
        Ipv4Embedding embedding = Ipv4Embedding.of(high, low);
        if (embedding != null) {
            Verdict first = checkIpv4(embedding.ipv4(high, low));
            if (!first.isPermitted() || !embedding.hasSecond()) {
                return first;
            }
            return checkIpv4(embedding.secondIpv4(high, low));
        }
        return SpecialPurposeAddresses.isGlobalUnicast(high) ? Verdict.PERMITTED
                : Verdict.refused(RefusalReason.RESERVED);
    }

    private Verdict checkIpv4(int address) {
        if (any(allowIpv4, address)) {
            return Verdict.PERMITTED;
        }
        RefusalReason reason = SpecialPurposeAddresses.ipv4(address);
        if (reason != null) {
            return Verdict.refused(reason);
        }
        return any(denyIpv4, address) ? Verdict.refused(RefusalReason.CONFIGURED_DENY) : Verdict.PERMITTED;
    }

    private static boolean any(Cidr[] ranges, int address) {
        for (Cidr c : ranges) {
            if (c.containsIpv4(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean any(Cidr[] ranges, long high, long low) {
        for (Cidr c : ranges) {
            if (c.containsIpv6(high, low)) {
                return true;
            }
        }
        return false;
    }

    /** Why a peer is refused; few values, so {@link #tag()} can label a metric. */
    public enum RefusalReason {
        /** {@code 0.0.0.0/8}, {@code ::}: on Linux these reach the host itself (CVE-2020-26262). */
        UNSPECIFIED,
        LOOPBACK,
        /** RFC 1918 and IPv6 site-local. */
        PRIVATE,
        /** Shared address space {@code 100.64/10} (RFC 6598). */
        CGNAT,
        /** {@code 169.254/16} (with cloud metadata) and {@code fe80::/10}. */
        LINK_LOCAL,
        /** {@code fc00::/7} (RFC 4193). */
        UNIQUE_LOCAL,
        MULTICAST,
        /** Benchmarking, IETF protocol assignments, discard-only, ORCHID, {@code 240/4}, unassigned IPv6. */
        RESERVED,
        DOCUMENTATION,
        /** A range in {@link PeerPolicySettings#deny()}. */
        CONFIGURED_DENY,
        /** Not an address of the allocation's room ({@link PeerPolicySettings#roomMembersOnly()}). */
        NOT_IN_ROOM;

        private final String tag = name().toLowerCase(Locale.ROOT);

        /** The lower-case name, e.g. {@code "link_local"}. */
        public String tag() {
            return tag;
        }
    }

    /** The outcome of {@link #check}: permitted, or refused for a reason. Instances are shared. */
    public static final class Verdict {

        public static final Verdict PERMITTED = new Verdict(null);

        private static final Verdict[] REFUSED = new Verdict[RefusalReason.values().length];

        static {
            for (RefusalReason r : RefusalReason.values()) {
                REFUSED[r.ordinal()] = new Verdict(r);
            }
        }

        private final RefusalReason reason;

        private Verdict(RefusalReason reason) {
            this.reason = reason;
        }

        public static Verdict refused(RefusalReason reason) {
            return REFUSED[reason.ordinal()];
        }

        public boolean isPermitted() {
            return reason == null;
        }

        /**
         * Why the peer was refused.
         *
         * @throws IllegalStateException if it was permitted
         */
        public RefusalReason reason() {
            if (reason == null) {
                throw new IllegalStateException("permitted verdicts have no refusal reason");
            }
            return reason;
        }

        @Override
        public String toString() {
            return reason == null ? "permitted" : "refused(" + reason.tag() + ")";
        }
    }
}
