package dev.turnbridge.signaling.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.IpLiteral;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which address a request is counted under, for every shape of forwarding header. */
class TrustedProxiesTest {

    private final TrustedProxies proxies = new TrustedProxies(List.of("10.0.0.0/8", "2001:db8:1::/48"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        // name                                | peer          | Forwarded                                   | X-Forwarded-For                      | client
        "untrusted peer: headers ignored      | 192.0.2.9     | -                                           | 198.51.100.1                         | 192.0.2.9",
        "untrusted peer: Forwarded ignored    | 192.0.2.9     | for=198.51.100.1                            | -                                    | 192.0.2.9",
        "trusted peer, no header              | 10.0.0.5      | -                                           | -                                    | 10.0.0.5",
        "one hop                              | 10.0.0.5      | -                                           | 198.51.100.1                         | 198.51.100.1",
        "right-most untrusted hop wins        | 10.0.0.5      | -                                           | 6.6.6.6, 198.51.100.1                | 198.51.100.1",
        "trusted hops are skipped             | 10.0.0.5      | -                                           | 6.6.6.6, 198.51.100.1, 10.1.1.1      | 198.51.100.1",
        "several header lines                 | 10.0.0.5      | -                                           | 6.6.6.6;198.51.100.1                 | 198.51.100.1",
        "spoofed left part cannot win         | 10.0.0.5      | -                                           | 10.9.9.9, 203.0.113.7                | 203.0.113.7",
        "all trusted: left-most               | 10.0.0.5      | -                                           | 10.2.2.2, 10.3.3.3                   | 10.2.2.2",
        "IPv4 with port                       | 10.0.0.5      | -                                           | 198.51.100.1:4711                    | 198.51.100.1",
        "IPv6                                 | 10.0.0.5      | -                                           | 2001:db8:2::7                        | 2001:db8:2::7",
        "IPv6 in brackets                     | 10.0.0.5      | -                                           | [2001:db8:2::7]                      | 2001:db8:2::7",
        "garbage stops at the proxy           | 10.0.0.5      | -                                           | 198.51.100.1, evil.example           | 10.0.0.5",
        "garbage left of a real hop           | 10.0.0.5      | -                                           | evil.example, 198.51.100.1           | 198.51.100.1",
        "empty header value                   | 10.0.0.5      | -                                           | ''                                   | 10.0.0.5",
        "RFC 7239 for=                        | 10.0.0.5      | for=198.51.100.1;proto=https                | -                                    | 198.51.100.1",
        "RFC 7239 quoted IPv6 with port       | 10.0.0.5      | for=\"[2001:db8:cafe::17]:4711\"            | -                                    | 2001:db8:cafe::17",
        "RFC 7239 list                        | 10.0.0.5      | for=6.6.6.6, for=198.51.100.1;by=10.0.0.5   | -                                    | 198.51.100.1",
        "RFC 7239 FOR= case-insensitive       | 10.0.0.5      | FOR=198.51.100.1                            | -                                    | 198.51.100.1",
        "RFC 7239 unknown                     | 10.0.0.5      | for=unknown                                 | -                                    | 10.0.0.5",
        "RFC 7239 obfuscated                  | 10.0.0.5      | for=_hidden                                 | -                                    | 10.0.0.5",
        "Forwarded wins over X-Forwarded-For  | 10.0.0.5      | for=198.51.100.1                            | 203.0.113.7                          | 198.51.100.1",
        "trusted IPv6 proxy                   | 2001:db8:1::5 | -                                           | 198.51.100.1                         | 198.51.100.1",
        "no DNS for names                     | 10.0.0.5      | -                                           | localhost                            | 10.0.0.5",
    })
    void clientIsTheRightMostUntrustedHop(String name, String peer, String forwarded, String xff, String client) {
        List<String> fwd = forwarded == null ? List.of() : List.of(forwarded);
        List<String> x = xff == null ? List.of() : List.of(xff.split(";"));
        assertThat(proxies.client(ip(peer), fwd, x)).as(name).isEqualTo(ip(client));
    }

    private static InetAddress ip(String text) {
        return IpLiteral.address(text);
    }
}
