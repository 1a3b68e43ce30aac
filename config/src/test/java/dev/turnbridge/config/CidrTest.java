package dev.turnbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    /** Built from literal bytes, never through name resolution; IPv4-mapped text comes back as Inet4Address. */
    private static InetAddress ip(String literal) {
        return IpLiteral.address(literal);
    }

    /** As {@link #ip} but keeps the 16-byte form, as a peer decoded from an XOR-PEER-ADDRESS may arrive. */
    private static InetAddress ip6(String literal) {
        try {
            return Inet6Address.getByAddress(null, IpLiteral.bytes(literal), -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', value = {
        "1.2.3.4                   | 01020304",
        "255.255.255.255           | ffffffff",
        "0.0.0.0                   | 00000000",
        "::                        | 00000000000000000000000000000000",
        "::1                       | 00000000000000000000000000000001",
        "1::                       | 00010000000000000000000000000000",
        "fe80::1                   | fe800000000000000000000000000001",
        "FE80::A:b                 | fe8000000000000000000000000a000b",
        "1:2:3:4:5:6:7:8           | 00010002000300040005000600070008",
        "1:2:3:4:5:6::8            | 00010002000300040005000600000008",
        "2001:db8::ff00:42:8329    | 20010db8000000000000ff0000428329",
        "::ffff:1.2.3.4            | 00000000000000000000ffff01020304",
        "64:ff9b::192.0.2.33       | 0064ff9b0000000000000000c0000221",
        "1:2:3:4:5:6:10.0.0.1      | 0001000200030004000500060a000001",
    })
    void literalBytes(String text, String hex) {
        assertThat(HexFormat.of().formatHex(IpLiteral.bytes(text))).isEqualTo(hex);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/8                | 10.0.0.0/8",
        "10.1.2.3/8                | 10.0.0.0/8",
        "192.168.1.1               | 192.168.1.1/32",
        "0.0.0.0/0                 | 0.0.0.0/0",
        "255.255.255.255/1         | 128.0.0.0/1",
        "::1                       | ::1/128",
        "::/0                      | ::/0",
        "ffff::/0                  | ::/0",
        "2001:db8::1/32            | 2001:db8::/32",
        "FE80::1/10                | fe80::/10",
        "fd00:ec2::254             | fd00:ec2::254/128",
        "1:2:3:4:5:6:7:8/128       | 1:2:3:4:5:6:7:8/128",
        "1:0:0:2:0:0:0:3           | 1:0:0:2::3/128",
        "1:0:0:2:0:0:3:4           | 1::2:0:0:3:4/128",
        "1:0:2:3:4:5:6:7           | 1:0:2:3:4:5:6:7/128",
        "2001:db8:0:0:1:2:3:4/80   | 2001:db8:0:0:1::/80",
        "::ffff:10.0.0.0/104       | 10.0.0.0/8",
        "::ffff:127.0.0.1          | 127.0.0.1/32",
        "::ffff:0:0/96             | 0.0.0.0/0",
        "::ffff:0:0/95             | ::fffe:0:0/95",
        "::1.2.3.4                 | ::102:304/128",
        "64:ff9b::8.8.8.8          | 64:ff9b::808:808/128",
    })
    void parsesAndNormalises(String text, String canonical) {
        Cidr cidr = Cidr.parse(text);
        assertThat(cidr).hasToString(canonical);
        assertThat(Cidr.parse(canonical)).isEqualTo(cidr).hasSameHashCodeAs(cidr);
        assertThat(cidr.isIpv4()).isEqualTo(!canonical.contains(":"));
    }

    @ParameterizedTest(name = "''{0}'': {1}")
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/33          | prefix length 33 exceeds 32",
        "::/129               | prefix length 129 exceeds 128",
        "abc                  | unexpected 'a'",
        "localhost            | unexpected 'l'",
        "1.2.3/8              | IPv4 address needs four parts, found 3",
        "''                   | empty address",
        "/8                   | empty address",
        "10.0.0.0/            | prefix length must be 0..32",
        "10.0.0.0/-1          | prefix length must be 0..32",
        "10.0.0.0/8/8         | prefix length must be 0..32",
        "::/1000              | prefix length must be 0..128",
        "1.2.3.256            | IPv4 part 256 exceeds 255",
        "1.2.3.1000           | IPv4 part 1000 exceeds 255",
        "1.2.3.4.5            | expected: the end",
        "1.2.3.               | address ends early",
        "1..2.3               | unexpected '.'",
        "01.2.3.4             | leading zero",
        "1.2.3.4 /8           | unexpected ' '",
        "fe80::1%eth0         | zone ids are not allowed",
        "[::1]                | unexpected '['",
        "1::2::3              | '::' appears twice",
        ":::                  | unexpected ':'",
        ":1::                 | unexpected ':'",
        "1:                   | ends with a single ':'",
        "g::1                 | unexpected 'g'",
        "12345::              | longer than 4 digits",
        "1:2:3:4:5:6:7        | needs 8 groups or '::', found 7",
        "1:2:3:4:5:6:7:8:9    | too many groups",
        "1:2:3:4::5:6:7:8     | at least one group",
        "1:2:3:4:5:6:7:1.2.3.4| too many groups",
        "::ffff:1.2.3         | needs four parts",
        "::ffff:1.2.3.4:5     | expected: the end",
        "::ffff:10.0.0.0/64   | IPv4-mapped range needs a prefix of at least 96",
    })
    void refusesMalformed(String text, String reason) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid CIDR '" + text + "': ")
                .hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,          10.0.0.0,                true",
        "10.0.0.0/8,          10.255.255.255,          true",
        "10.0.0.0/8,          11.0.0.0,                false",
        "10.0.0.0/8,          9.255.255.255,           false",
        "0.0.0.0/0,           1.2.3.4,                 true",
        "192.168.1.1,         192.168.1.1,             true",
        "192.168.1.1,         192.168.1.2,             false",
        "240.0.0.0/4,         255.255.255.255,         true",
        "fc00::/7,            fdff:ffff::1,            true",
        "fc00::/7,            fe00::,                  false",
        "::/0,                2001:db8::1,             true",
        "2001:db8::/32,       2001:db9::,              false",
        "2001:db8::/33,       2001:db8:7fff::1,        true",
        "2001:db8::/33,       2001:db8:8000::,         false",
        "2001:db8::1:0:0:0/80, 2001:db8::1:0:ffff:ffff, true",
        "2001:db8::1:0:0:0/80, 2001:db8::2:0:0:0,      false",
        "::1,                 ::1,                     true",
        "::1,                 ::2,                     false",
        "0.0.0.0/0,           ::1,                     false",
        "0.0.0.0/0,           64:ff9b::808:808,        false",
        "::/0,                1.2.3.4,                 false",
    })
    void contains(String cidr, String address, boolean expected) {
        assertThat(Cidr.parse(cidr).contains(ip(address))).isEqualTo(expected);
    }

    @Test
    void familyStrictEvenForMappedAddresses() {
        // Java turns 16 mapped bytes into an Inet4Address; an Inet6Address that keeps them stays IPv6.
        assertThat(ip("::ffff:127.0.0.1")).isInstanceOf(Inet4Address.class);
        assertThat(ip6("::ffff:127.0.0.1")).isInstanceOf(Inet6Address.class);
        Cidr loopback = Cidr.parse("127.0.0.0/8");
        assertThat(loopback.contains(ip("::ffff:127.0.0.1"))).isTrue();
        assertThat(loopback.contains(ip6("::ffff:127.0.0.1"))).isFalse();
        assertThat(Cidr.parse("::ffff:0:0/95").contains(ip6("::ffff:127.0.0.1"))).isTrue();
    }

    @Test
    void prefixLengthAndFamily() {
        assertThat(Cidr.parse("10.0.0.0/8").prefixLength()).isEqualTo(8);
        assertThat(Cidr.parse("fe80::/10").prefixLength()).isEqualTo(10);
        assertThat(Cidr.parse("::ffff:10.0.0.0/104").prefixLength()).isEqualTo(8);
        assertThat(Cidr.parse("10.0.0.0/8")).isNotEqualTo(Cidr.parse("10.0.0.0/9"));
        assertThat(Cidr.parse("0.0.0.0/0")).isNotEqualTo(Cidr.parse("::/0"));
    }
}
