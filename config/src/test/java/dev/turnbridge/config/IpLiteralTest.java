package dev.turnbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {

    @ParameterizedTest
    @CsvSource({
        "0.0.0.0,          /0.0.0.0",
        "255.255.255.255,  /255.255.255.255",
        "::,               /0:0:0:0:0:0:0:0",
        "2001:db8::1,      /2001:db8:0:0:0:0:0:1",
        "::ffff:1.2.3.4,   /1.2.3.4",
    })
    void parsesLiterals(String text, String expected) {
        assertThat(IpLiteral.address(text)).hasToString(expected);
    }

    // Names must be refused by syntax, before the JDK could try to resolve them.
    @ParameterizedTest
    @ValueSource(strings = {"", "localhost", "example.com", "1", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4.5",
        "::1%eth0", "[::1]", "1:2:3", "fe80::g", "deadbeef", " 1.2.3.4"})
    void refusesEverythingElse(String text) {
        assertThatThrownBy(() -> IpLiteral.address(text)).isInstanceOf(IllegalArgumentException.class);
        assertThat(IpLiteral.isValid(text)).isFalse();
    }

    // what settings validation accepts is what the relay and signaling match with: the same parser
    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8,            10.0.0.0/8",
        "192.0.2.1,             192.0.2.1/32",
        "0.0.0.0/0,             0.0.0.0/0",
        "2001:db8::/32,         2001:db8::/32",
        "::1,                   ::1/128",
        "::ffff:10.0.0.0/104,   10.0.0.0/8",
        "::ffff:0:0/95,         ::fffe:0:0/95",
    })
    void parsesRanges(String text, String canonical) {
        assertThat(Cidr.parse(text)).hasToString(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "host/8",
        "::ffff:10.0.0.0/95", "10.0.0.0/0008"})
    void refusesBadRanges(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void refusesAMissingRange() {
        assertThatThrownBy(() -> Cidr.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
