package dev.turnbridge.relay.allocation;

import static dev.turnbridge.relay.allocation.TestAddresses.ip;
import static dev.turnbridge.relay.allocation.TestAddresses.ip6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.config.IpLiteral;
import dev.turnbridge.config.PeerPolicySettings;
import dev.turnbridge.relay.allocation.PeerPolicy.RefusalReason;
import dev.turnbridge.relay.allocation.PeerPolicy.Verdict;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class PeerPolicyTest {

    private static final PeerPolicy DEFAULTS = PeerPolicy.defaults();

    /** Teredo server 65.54.227.120 (public), as in RFC 4380's example; the client part is inverted. */
    private static final int PUBLIC_TEREDO_SERVER = 0x4136e378;

    static Stream<Arguments> refusedByDefault() {
        return Stream.of(
                // IPv4
                refused("0.0.0.0", RefusalReason.UNSPECIFIED),
                refused("0.1.2.3", RefusalReason.UNSPECIFIED),
                refused("127.0.0.1", RefusalReason.LOOPBACK),
                refused("127.255.255.255", RefusalReason.LOOPBACK),
                refused("10.0.0.1", RefusalReason.PRIVATE),
                refused("172.16.5.4", RefusalReason.PRIVATE),
                refused("172.31.255.255", RefusalReason.PRIVATE),
                refused("192.168.1.1", RefusalReason.PRIVATE),
                refused("100.64.0.1", RefusalReason.CGNAT),
                refused("100.100.100.200", RefusalReason.CGNAT),
                refused("100.127.255.255", RefusalReason.CGNAT),
                refused("169.254.169.254", RefusalReason.LINK_LOCAL),
                refused("224.0.0.1", RefusalReason.MULTICAST),
                refused("239.255.255.250", RefusalReason.MULTICAST),
                refused("240.0.0.1", RefusalReason.RESERVED),
                refused("255.255.255.255", RefusalReason.RESERVED),
                refused("192.0.0.10", RefusalReason.RESERVED),
                refused("192.88.99.1", RefusalReason.RESERVED),
                refused("198.18.0.1", RefusalReason.RESERVED),
                refused("198.19.255.255", RefusalReason.RESERVED),
                refused("192.0.2.1", RefusalReason.DOCUMENTATION),
                refused("198.51.100.7", RefusalReason.DOCUMENTATION),
                refused("203.0.113.255", RefusalReason.DOCUMENTATION),
                // IPv6
                refused("::", RefusalReason.UNSPECIFIED),
                refused("::1", RefusalReason.LOOPBACK),
                refused("fe80::1", RefusalReason.LINK_LOCAL),
                refused("febf:ffff::1", RefusalReason.LINK_LOCAL),
                refused("fec0::1", RefusalReason.PRIVATE),
                refused("fc00::1", RefusalReason.UNIQUE_LOCAL),
                refused("fd00:ec2::254", RefusalReason.UNIQUE_LOCAL),
                refused("ff02::1", RefusalReason.MULTICAST),
                refused("ff0e::1", RefusalReason.MULTICAST),
                refused("2001:db8::1", RefusalReason.DOCUMENTATION),
                refused("3fff:fff::1", RefusalReason.DOCUMENTATION),
                refused("100::1", RefusalReason.RESERVED),
                refused("2001:2::1", RefusalReason.RESERVED),
                refused("2001:10::1", RefusalReason.RESERVED),
                refused("2001:2f:ffff::1", RefusalReason.RESERVED),
                refused("5f00::1", RefusalReason.RESERVED),
                refused("4000::1", RefusalReason.RESERVED),
                refused("::1:0:0:1", RefusalReason.RESERVED),
                refused("64:ff9b::1:0:0:1", RefusalReason.RESERVED),
                // IPv4 inside IPv6
                refused("::ffff:127.0.0.1", RefusalReason.LOOPBACK),
                refused("::ffff:0.0.0.0", RefusalReason.UNSPECIFIED),
                refused("::127.0.0.1", RefusalReason.LOOPBACK),
                refused("::ffff:0:127.0.0.1", RefusalReason.LOOPBACK),
                refused("64:ff9b::7f00:1", RefusalReason.LOOPBACK),
                refused("64:ff9b::a00:1", RefusalReason.PRIVATE),
                refused("64:ff9b:1::a9fe:a9fe", RefusalReason.LINK_LOCAL),
                refused("2002:7f00:1::1", RefusalReason.LOOPBACK),
                refused("2002:a9fe:a9fe::1", RefusalReason.LINK_LOCAL),
                refused("2002:6464:64c8::1", RefusalReason.CGNAT),
                // Teredo: client 127.0.0.1 (inverted 80ff:fffe) behind public server 65.54.227.120
                refused("2001:0:4136:e378:8000:63bf:80ff:fffe", RefusalReason.LOOPBACK),
                // Teredo: server 10.0.0.1, client 8.8.8.8 (inverted f7f7:f7f7)
                refused("2001:0:a00:1:8000:63bf:f7f7:f7f7", RefusalReason.PRIVATE));
    }

    private static Arguments refused(String address, RefusalReason reason) {
        return Arguments.of(address, reason);
    }

    @ParameterizedTest(name = "{0} refused: {1}")
    @MethodSource("refusedByDefault")
    void refusesByDefault(String address, RefusalReason reason) {
        Verdict verdict = DEFAULTS.check(ip(address));
        assertThat(verdict.isPermitted()).isFalse();
        assertThat(verdict.reason()).isEqualTo(reason);
        if (address.contains(":")) {
            assertThat(DEFAULTS.check(ip6(address))).isSameAs(verdict);
        }
    }

    @Test
    void everyBuiltInReasonIsExercised() {
        // configured ranges and strict peers (checked outside the policy, in RelayContext) are tested elsewhere
        Set<RefusalReason> seen = EnumSet.of(RefusalReason.CONFIGURED_DENY, RefusalReason.NOT_IN_ROOM);
        refusedByDefault().forEach(a -> seen.add((RefusalReason) a.get()[1]));
        assertThat(seen).containsExactlyInAnyOrder(RefusalReason.values());
    }

    @ParameterizedTest(name = "{0} permitted")
    @CsvSource({
        "8.8.8.8", "1.1.1.1", "203.0.114.1", "203.0.112.255", "100.63.255.255", "100.128.0.0", "172.15.255.255",
        "172.32.0.0", "169.253.255.255", "192.167.255.255", "192.169.0.0", "11.0.0.0", "9.255.255.255",
        "1.0.0.0", "223.255.255.255", "198.17.255.255", "198.20.0.0", "192.0.1.255", "192.0.3.0",
        "2001:4860:4860::8888", "2606:4700::1111", "2a00:1450:4001::200e", "2000::1",
        "3fff:1000::1", "2001:1::2", "2001:3::1", "2001:30::1", "2001:db9::1", "2001:db7:ffff::1",
        "::ffff:8.8.8.8", "::8.8.8.8", "::ffff:0:8.8.8.8", "64:ff9b::808:808", "64:ff9b:1::808:808",
        "2002:808:808::1",
        // Teredo: public server 65.54.227.120, public client 8.8.8.8
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    })
    void permitsPublicPeers(String address) {
        assertThat(DEFAULTS.check(ip(address))).isSameAs(Verdict.PERMITTED);
        if (address.contains(":")) {
            assertThat(DEFAULTS.check(ip6(address))).isSameAs(Verdict.PERMITTED);
        }
    }

    /** Every spelling of an IPv4 address that the policy must see through. */
    enum Spelling {
        NATIVE(v4 -> bytes(v4)),
        MAPPED_AS_INET6(v4 -> v6(0, 0x0000ffff00000000L | (v4 & 0xffffffffL))),
        COMPATIBLE(v4 -> v6(0, v4 & 0xffffffffL)),
        TRANSLATED(v4 -> v6(0, 0xffff000000000000L | (v4 & 0xffffffffL))),
        NAT64(v4 -> v6(0x0064ff9b00000000L, v4 & 0xffffffffL)),
        NAT64_LOCAL(v4 -> v6(0x0064ff9b00010000L, v4 & 0xffffffffL)),
        SIX_TO_FOUR(v4 -> v6(0x2002000000000000L | (v4 & 0xffffffffL) << 16 | 1, 1)),
        TEREDO_CLIENT(v4 -> v6(0x2001000000000000L | PUBLIC_TEREDO_SERVER, 0x800063bf00000000L | (~v4 & 0xffffffffL))),
        TEREDO_SERVER(v4 -> v6(0x2001000000000000L | (v4 & 0xffffffffL), 0x800063bff7f7f7f7L));

        final IntFunction<byte[]> spell;

        Spelling(IntFunction<byte[]> spell) {
            this.spell = spell;
        }

        InetAddress of(int v4) {
            try {
                byte[] bytes = spell.apply(v4);
                // Java would turn mapped bytes into an Inet4Address; keep each spelling as sent.
                return bytes.length == 4 ? InetAddress.getByAddress(bytes)
                        : java.net.Inet6Address.getByAddress(null, bytes, -1);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
    }

    static Stream<Arguments> everyIpv4BlockInEverySpelling() {
        List<Arguments> cases = new ArrayList<>();
        for (Map.Entry<Cidr, RefusalReason> block : SpecialPurposeAddresses.ipv4Table().entrySet()) {
            int first = network(block.getKey());
            int last = first | (int) ((1L << (32 - block.getKey().prefixLength())) - 1);
            int middle = first + (int) (((last & 0xffffffffL) - (first & 0xffffffffL)) / 2);
            for (Spelling spelling : Spelling.values()) {
                for (int v4 : new int[] {first, middle, last}) {
                    cases.add(Arguments.of(block.getKey(), spelling, text(v4), v4, block.getValue()));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}: {4}")
    @MethodSource("everyIpv4BlockInEverySpelling")
    void refusesEveryIpv4BlockInEverySpelling(Cidr block, Spelling spelling, String text, int v4,
            RefusalReason reason) {
        InetAddress peer = spelling.of(v4);
        assertThat(DEFAULTS.check(peer)).hasToString("refused(" + reason.tag() + ")");
        // Allowing the block in IPv4 form re-opens every spelling (Teredo's other address is public here),
        // but not :: and ::1, which are IPv6's own unspecified and loopback addresses.
        boolean ownIpv6Case = spelling == Spelling.COMPATIBLE && (v4 == 0 || v4 == 1);
        PeerPolicy allowing = policy(List.of(block.toString()), List.of());
        assertThat(allowing.check(peer).isPermitted()).isEqualTo(!ownIpv6Case);
    }

    @ParameterizedTest(name = "8.8.8.8 {0} permitted")
    @EnumSource(Spelling.class)
    void permitsPublicIpv4InEverySpelling(Spelling spelling) {
        assertThat(DEFAULTS.check(spelling.of(0x08080808)).isPermitted()).isTrue();
    }

    @ParameterizedTest(name = "{0} refused: {1}")
    @MethodSource("ipv6Blocks")
    void refusesEveryIpv6BlockAtBothEnds(Cidr block, RefusalReason reason) throws UnknownHostException {
        String text = block.toString();
        byte[] first = IpLiteral.bytes(text.substring(0, text.indexOf('/')));
        byte[] last = first.clone();
        for (int bit = block.prefixLength(); bit < 128; bit++) {
            last[bit / 8] |= (byte) (0x80 >>> (bit % 8));
        }
        for (byte[] address : List.of(first, last)) {
            assertThat(DEFAULTS.check(InetAddress.getByAddress(address)).reason()).isEqualTo(reason);
        }
    }

    static Stream<Arguments> ipv6Blocks() {
        return SpecialPurposeAddresses.ipv6Table().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "allow [{0}] deny [{1}]: {2} is {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "127.0.0.1/32        | -              | 127.0.0.1                             | permitted",
        "127.0.0.1/32        | -              | ::ffff:127.0.0.1                      | permitted",
        "127.0.0.1/32        | -              | 64:ff9b::7f00:1                       | permitted",
        "127.0.0.1/32        | -              | 127.0.0.2                             | loopback",
        "127.0.0.1/32        | -              | ::ffff:127.0.0.2                      | loopback",
        "127.0.0.1/32        | -              | ::1                                   | loopback",
        "127.0.0.0/8         | -              | 127.0.0.1                             | permitted",
        "127.0.0.0/8         | -              | 127.255.255.254                       | permitted",
        "127.0.0.0/8         | -              | 127.1.2.3                             | permitted",
        "127.0.0.0/8         | -              | 10.0.0.1                              | private",
        "::ffff:127.0.0.0/104 | -             | 127.0.0.1                             | permitted",
        "-                   | 8.8.8.0/24     | 8.8.8.8                               | configured_deny",
        "-                   | 8.8.8.0/24     | ::ffff:8.8.8.8                        | configured_deny",
        "-                   | 8.8.8.0/24     | 64:ff9b::808:808                      | configured_deny",
        "-                   | 8.8.8.0/24     | 2002:808:808::1                       | configured_deny",
        "-                   | 8.8.8.0/24     | 8.8.4.4                               | permitted",
        "8.8.8.8/32          | 8.8.8.0/24     | 8.8.8.8                               | permitted",
        "8.8.8.8/32          | 8.8.8.0/24     | 8.8.8.9                               | configured_deny",
        "-                   | 10.0.0.0/8     | 10.0.0.1                              | private",
        "-                   | 2606:4700::/32 | 2606:4700::1111                       | configured_deny",
        "-                   | 2606:4700::/32 | 2606:4701::1111                       | permitted",
        "2606:4700::1111/128 | 2606:4700::/32 | 2606:4700::1111                       | permitted",
        "fd00:ec2::254/128   | -              | fd00:ec2::254                         | permitted",
        "fd00:ec2::254/128   | -              | fd00:ec2::253                         | unique_local",
        "::1/128             | -              | ::1                                   | permitted",
        "::1/128             | -              | 127.0.0.1                             | loopback",
        "2002::/16           | -              | 2002:7f00:1::1                        | permitted",
        "10.0.0.0/8          | -              | 2001:0:a00:1:8000:63bf:f7f7:f7f7      | permitted",
        "10.0.0.0/8          | -              | 2001:0:a00:1:8000:63bf:80ff:fffe      | loopback",
        "-                   | 65.54.0.0/16   | 2001:0:4136:e378:8000:63bf:f7f7:f7f7  | configured_deny",
        "0.0.0.0/0           | -              | 192.168.1.1                           | permitted",
        "0.0.0.0/0           | -              | fe80::1                               | link_local",
    })
    void configuredRanges(String allow, String deny, String address, String expected) {
        PeerPolicy policy = policy(split(allow), split(deny));
        assertThat(verdictText(policy.check(ip(address)))).isEqualTo(expected);
        if (address.contains(":")) {
            assertThat(verdictText(policy.check(ip6(address)))).isEqualTo(expected);
        }
    }

    @Test
    void namesTheBadEntry() {
        assertThatThrownBy(() -> policy(List.of(), List.of("10.0.0.0/8", "10.0.0.0/33")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deny[1]: invalid CIDR '10.0.0.0/33': prefix length 33 exceeds 32");
        assertThatThrownBy(() -> policy(List.of("example.com"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("allow[0]: invalid CIDR 'example.com': ");
    }

    @ParameterizedTest
    @EnumSource(RefusalReason.class)
    void reasonTagIsLowerCaseName(RefusalReason reason) {
        assertThat(reason.tag()).isEqualTo(reason.name().toLowerCase(Locale.ROOT)).matches("[a-z_]+");
        assertThat(Verdict.refused(reason)).isSameAs(Verdict.refused(reason));
        assertThat(Verdict.refused(reason).reason()).isSameAs(reason);
    }

    @Test
    void permittedVerdictHasNoReason() {
        assertThat(Verdict.PERMITTED.isPermitted()).isTrue();
        assertThat(Verdict.PERMITTED).hasToString("permitted");
        assertThat(Verdict.refused(RefusalReason.LINK_LOCAL)).hasToString("refused(link_local)");
        assertThatThrownBy(Verdict.PERMITTED::reason).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void checkAllocatesOnlyTheAddressCopy() {
        var threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean);
        var sun = (com.sun.management.ThreadMXBean) threads;
        assumeTrue(sun.isThreadAllocatedMemorySupported() && sun.isThreadAllocatedMemoryEnabled());
        PeerPolicy policy = policy(List.of("127.0.0.1/32"), List.of("8.8.8.0/24", "2606:4700::/32"));
        InetAddress[] peers = Stream.of("8.8.4.4", "10.0.0.1", "2001:4860:4860::8888", "64:ff9b::a00:1",
                "2001:0:4136:e378:8000:63bf:80ff:fffe", "::ffff:127.0.0.1", "fd00:ec2::254")
                .map(TestAddresses::ip6OrIp).toArray(InetAddress[]::new);
        int rounds = 200_000;
        int refused = run(policy, peers, rounds); // warm up
        long thread = Thread.currentThread().getId();
        long before = sun.getThreadAllocatedBytes(thread);
        refused += run(policy, peers, rounds);
        long perCheck = (sun.getThreadAllocatedBytes(thread) - before) / ((long) rounds * peers.length);
        assertThat(refused).isPositive();
        // a 16-byte array is 32 bytes with its header; anything more would be boxing or iterators
        assertThat(perCheck).isLessThanOrEqualTo(32);
    }

    private static int run(PeerPolicy policy, InetAddress[] peers, int rounds) {
        int refused = 0;
        for (int r = 0; r < rounds; r++) {
            for (InetAddress peer : peers) {
                if (!policy.check(peer).isPermitted()) {
                    refused++;
                }
            }
        }
        return refused;
    }

    private static PeerPolicy policy(List<String> allow, List<String> deny) {
        return PeerPolicy.from(new PeerPolicySettings(deny, allow, false));
    }

    private static List<String> split(String ranges) {
        return ranges == null ? List.of() : Arrays.asList(ranges.trim().split("\\s+"));
    }

    private static String verdictText(Verdict v) {
        return v.isPermitted() ? "permitted" : v.reason().tag();
    }

    private static int network(Cidr block) {
        return Cidr.ipv4(IpLiteral.bytes(block.toString().substring(0, block.toString().indexOf('/'))));
    }

    private static String text(int v4) {
        return (v4 >>> 24) + "." + (v4 >>> 16 & 0xff) + "." + (v4 >>> 8 & 0xff) + "." + (v4 & 0xff);
    }

    private static byte[] bytes(int v4) {
        return new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    }

    private static byte[] v6(long high, long low) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }
}
