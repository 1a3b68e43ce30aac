package dev.turnbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsValidatorTest {

    private static Settings load(String... overrides) {
        return SettingsLoader.load(null, Map.of(), SettingsLoaderTest.open(overrides));
    }

    private static List<String> errors(String... overrides) {
        try {
            load(overrides);
            return List.of();
        } catch (SettingsException e) {
            return e.errors();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "realm=                              | realm: \"\" (expected: 1-127 printable ASCII characters without \" or \\)",
        "realm=a\"b                          | realm: a\"b (expected: 1-127 printable ASCII characters without \" or \\)",
        "realm=caf\u00e9                     | realm: \"caf\\u00e9\" (expected: 1-127 printable ASCII characters without \" or \\)",
        "listeners.tcp=example.com:3478      | listeners.tcp[0]: example.com:3478 (expected: an IP literal or localhost as host)",
        "listeners.tls=[fe::x]:443           | listeners.tls[0]: [fe::x]:443 (expected: an IP literal or localhost as host)",
        "listeners.dtls=example.com:5349     | listeners.dtls[0]: example.com:5349 (expected: an IP literal or localhost as host)",
        "listeners.stream-write-buffer=1000  | listeners.stream-write-buffer: 1000 (expected: 65536-67108864)",
        "relay.address-v6=0.0.0.0            | relay.address-v6: 0.0.0.0 (expected: empty or an IPv6 literal)",
        "relay.address-v6=host               | relay.address-v6: host (expected: empty or an IPv6 literal)",
        "tls.cert-file=/nonexistent/cert.pem | tls.key-file: \"\" (expected: set together with tls.cert-file, or both empty for a self-signed certificate)",
        "tls.reload-interval=500ms           | tls.reload-interval: 500ms (expected: 0 (off) or 1s-24h)",
        "listeners.udp=example.com:3478      | listeners.udp[0]: example.com:3478 (expected: an IP literal or localhost as host)",
        "listeners.udp=127.0.0.1:1;[fe::x]:1 | listeners.udp[1]: [fe::x]:1 (expected: an IP literal or localhost as host)",
        "listeners.max-datagram-size=575     | listeners.max-datagram-size: 575 (expected: 576-65535)",
        "listeners.max-datagram-size=65536   | listeners.max-datagram-size: 65536 (expected: 576-65535)",
        "relay.address=relay.example.com     | relay.address: relay.example.com (expected: an IPv4 or IPv6 literal)",
        "relay.address=010.0.0.1             | relay.address: 010.0.0.1 (expected: an IPv4 or IPv6 literal)",
        "relay.address=1.2.3                 | relay.address: 1.2.3 (expected: an IPv4 or IPv6 literal)",
        "relay.external-address=0.0.0.0      | relay.external-address: 0.0.0.0 (expected: empty or an IPv4 or IPv6 literal other than a wildcard)",
        "relay.external-address=host         | relay.external-address: host (expected: empty or an IPv4 or IPv6 literal other than a wildcard)",
        "relay.port-min=0                    | relay.port-min: 0 (expected: 1-65535)",
        "relay.port-min=70000                | relay.port-min: 70000 (expected: 1-65535)",
        "relay.port-max=65536                | relay.port-max: 65536 (expected: 1-65535)",
        "relay.socket-receive-buffer=4095    | relay.socket-receive-buffer: 4095 (expected: 0 (kernel default) or 4096-268435456 bytes)",
        "relay.socket-receive-buffer=-1      | relay.socket-receive-buffer: -1 (expected: 0 (kernel default) or 4096-268435456 bytes)",
        "relay.socket-send-buffer=300000000  | relay.socket-send-buffer: 300000000 (expected: 0 (kernel default) or 4096-268435456 bytes)",
        "relay.port-max=1000                 | relay.port-max: 1000 (expected: >= relay.port-min (49152))",
        "lifetimes.permission=0              | lifetimes.permission: 0s (expected: > 0 and <= 24h)",
        "lifetimes.channel=25h               | lifetimes.channel: 90000s (expected: > 0 and <= 24h)",
        "lifetimes.allocation-max=0s         | lifetimes.allocation-max: 0s (expected: > 0 and <= 24h)",
        "lifetimes.allocation-default=2h     | lifetimes.allocation-default: 7200s (expected: <= lifetimes.allocation-max (3600s))",
        "lifetimes.nonce=9s                  | lifetimes.nonce: 9s (expected: 10s-24h)",
        "lifetimes.nonce=1500ms              | lifetimes.nonce: 1500ms (expected: 10s-24h)",
        "quotas.allocations-per-user=0       | quotas.allocations-per-user: 0 (expected: >= 1)",
        "quotas.allocations-total=-1         | quotas.allocations-total: -1 (expected: >= 1)",
        "quotas.permissions-per-allocation=0 | quotas.permissions-per-allocation: 0 (expected: >= 1)",
        "quotas.channels-per-allocation=0    | quotas.channels-per-allocation: 0 (expected: >= 1)",
        "quotas.connections-per-allocation=0 | quotas.connections-per-allocation: 0 (expected: >= 1)",
        "quotas.allocations-per-member=0     | quotas.allocations-per-member: 0 (expected: >= 1)",
        "quotas.allocations-per-room=0       | quotas.allocations-per-room: 0 (expected: >= 1)",
        "quotas.allocations-per-address=0    | quotas.allocations-per-address: 0 (expected: >= 1)",
        "quotas.room-bandwidth=-1            | quotas.room-bandwidth: -1 (expected: 0 (no limit) or bytes per second > 0)",
        "quotas.room-burst=100               | quotas.room-burst: 100 (expected: >= room-bandwidth / 1000 (12500))",
        "peers.deny=10.0.0.0/33              | peers.deny[0]: 10.0.0.0/33 (expected: an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6))",
        "peers.allow=::1/129                 | peers.allow[0]: ::1/129 (expected: an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6))",
        "peers.allow=10.0.0.0/x              | peers.allow[0]: 10.0.0.0/x (expected: an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6))",
        "peers.deny=example.com/8            | peers.deny[0]: example.com/8 (expected: an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6))",
        "peers.deny=::ffff:10.0.0.0/64       | peers.deny[0]: ::ffff:10.0.0.0/64 (expected: an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6))",
        "metrics.listen=example.com:9641     | metrics.listen: example.com:9641 (expected: an IP literal or localhost as host)",
        "metrics.token=short                 | metrics.token: <redacted> (expected: empty, or at least 16 printable ASCII characters without spaces)",
        "admin.token=has a space in it here  | admin.token: <redacted> (expected: empty, or at least 16 printable ASCII characters without spaces)",
        "drain.deadline=25h                  | drain.deadline: 90000s (expected: 0s-24h)",
        "drain.alternate-servers=0.0.0.0:3478 | drain.alternate-servers[0]: 0.0.0.0:3478 (expected: an IP literal other than a wildcard with a port 1-65535 (ALTERNATE-SERVER carries no name))",
        "drain.alternate-servers=relay2.example.com:3478 | drain.alternate-servers[0]: relay2.example.com:3478 (expected: an IP literal other than a wildcard with a port 1-65535 (ALTERNATE-SERVER carries no name))",
        "drain.alternate-servers=203.0.113.8:0 | drain.alternate-servers[0]: 203.0.113.8:0 (expected: an IP literal other than a wildcard with a port 1-65535 (ALTERNATE-SERVER carries no name))",
        "logging.format=xml                  | logging.format: xml (expected: one of plain, json)",
        "logging.level=verbose               | logging.level: verbose (expected: one of trace, debug, info, warn, error)",
        "signaling.tls-listen=example.com:443 | signaling.tls-listen[0]: example.com:443 (expected: an IP literal or localhost as host)",
        "signaling.tls-listen=127.0.0.1:5349 | signaling.tls-listen[0]: 127.0.0.1:5349 (expected: a port no other TCP listener uses, or exactly the address of a listeners.tls entry to serve TURN and HTTPS on one port)",
        "signaling.tls-listen=127.0.0.1:8080 | signaling.tls-listen[0]: 127.0.0.1:8080 (expected: a port no other TCP listener uses, or exactly the address of a listeners.tls entry to serve TURN and HTTPS on one port)",
        "signaling.tls-listen=127.0.0.1:3478 | signaling.tls-listen[0]: 127.0.0.1:3478 (expected: a port no other TCP listener uses, or exactly the address of a listeners.tls entry to serve TURN and HTTPS on one port)",
    })
    void reportsNameValueAndExpectation(String override, String expected) {
        // ';' stands for the ',' between list items, which the CSV table cannot hold unquoted
        assertThat(errors(override.replace(';', ','))).containsExactly(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "relay.port-min=50000&relay.port-max=50000",
        "relay.port-min=1&relay.port-max=65535",
        "listeners.udp=127.0.0.1:0",
        "listeners.udp=localhost:3478",
        "listeners.udp=[::]:3478;[fe80::1]:3478;0.0.0.0:3478",
        "listeners.max-datagram-size=576",
        "listeners.udp=&listeners.tls=",
        "listeners.udp=&listeners.tcp=",
        "listeners.udp=&listeners.tcp=&listeners.tls=&listeners.dtls=127.0.0.1:5349",
        "listeners.dtls=0.0.0.0:5349;[::]:5349",
        "listeners.tcp=[::1]:0;127.0.0.1:3478&listeners.tls=[::]:443",
        "relay.address-v6=",
        "relay.address-v6=::1",
        "tls.reload-interval=0",
        "relay.address=::",
        "relay.external-address=203.0.113.7",
        "relay.external-address=2001:db8::7",
        "peers.deny=203.0.113.0/24;2001:db8::/32;198.51.100.1;::1;0.0.0.0/0;::ffff:10.0.0.0/104",
        "lifetimes.nonce=10s",
        "metrics.listen=[::1]:0&metrics.token=0123456789abcdef",
        "admin.token=0123456789abcdef-rotated",
        "drain.deadline=0s&drain.alternate-servers=203.0.113.8:3478;[2001:db8::8]:3478",
        "logging.format=json&logging.level=debug",
        "lifetimes.allocation-default=24h&lifetimes.allocation-max=24h",
        "lifetimes.permission=500ms",
        "software=",
        "realm=example.org team",
        "signaling.tls-listen=0.0.0.0:8443",
        "signaling.tls-listen=0.0.0.0:5349",
        "listeners.tls=0.0.0.0:443&signaling.tls-listen=0.0.0.0:443;127.0.0.1:0",
    })
    void acceptsBoundaryValues(String overrides) {
        // '&' separates flags, ';' list items within one flag.
        assertThat(errors(overrides.replace(';', ',').split("&"))).isEmpty();
    }

    @Test
    void supabaseSettingsAreCheckedTogether() {
        assertThat(errors("signaling.supabase.anon-keys=short, anon-key-long-enough-0123",
                "signaling.supabase.max-channels-per-socket=0", "signaling.supabase.max-presence-size=10"))
                .containsExactly(
                        "signaling.supabase.anon-keys[0]: <redacted> (expected: empty, or at least 16 printable ASCII "
                                + "characters without spaces)",
                        "signaling.supabase.max-channels-per-socket: 0 (expected: 1-1000)",
                        "signaling.supabase.max-presence-size: 10 (expected: 64-65536)");
        assertThat(errors("signaling.supabase.anon-keys=anon-key-long-enough-0123",
                "signaling.supabase.implicit-rooms=true")).isEmpty();
    }

    @Test
    void atLeastOneListenerRemains() {
        assertThat(errors("listeners.udp=", "listeners.tcp=", "listeners.tls="))
                .containsExactly("listeners: udp: [], tcp: [], tls: [], dtls: [] "
                        + "(expected: at least one host:port in udp, tcp, tls or dtls)");
    }

    @Test
    void edgeLimitsAreCheckedTogether() {
        assertThat(errors("listeners.tcp=127.0.0.1:3478", "listeners.stream-stall-timeout=0s",
                "listeners.connections-per-ip=0", "listeners.allocation-timeout=1h",
                "listeners.proxy-protocol=127.0.0.1:3479", "listeners.proxy-protocol-sources=10.0.0.0/33",
                "signaling.trusted-proxies=proxy.example", "signaling.request-timeout=0s",
                "signaling.room-lookup-rate=-1", "signaling.room-lookup-burst=0")).containsExactly(
                "listeners.stream-stall-timeout: 0s (expected: 1s-600s)",
                "listeners.connections-per-ip: 0 (expected: 1-1000000)",
                "listeners.allocation-timeout: 3600s (expected: 1s-600s)",
                "listeners.proxy-protocol[0]: 127.0.0.1:3479 (expected: one of listeners.tcp or listeners.tls)",
                "listeners.proxy-protocol-sources[0]: 10.0.0.0/33 (expected: an IP literal with an optional /prefix "
                        + "of 0-32 (IPv4) or 0-128 (IPv6))",
                "signaling.room-lookup-rate: -1.0 (expected: 0 (off) or > 0 lookups per second)",
                "signaling.room-lookup-burst: 0 (expected: >= 1)",
                "signaling.trusted-proxies[0]: proxy.example (expected: an IP literal with an optional /prefix "
                        + "of 0-32 (IPv4) or 0-128 (IPv6))",
                "signaling.request-timeout: 0s (expected: 1s-600s)");
        assertThat(errors("listeners.tcp=127.0.0.1:3478", "listeners.proxy-protocol=127.0.0.1:3478"))
                .containsExactly("listeners.proxy-protocol-sources: [] (expected: the load balancers' CIDRs when "
                        + "listeners.proxy-protocol is set)");
        assertThat(errors("listeners.tcp=127.0.0.1:3478", "listeners.proxy-protocol=127.0.0.1:3478",
                "listeners.proxy-protocol-sources=10.0.0.0/8,fd00::/8", "signaling.trusted-proxies=10.0.0.5,::1")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tls.acme.domains=203.0.113.7          | tls.acme.domains[0]: 203.0.113.7 (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=2001:db8::1          | tls.acme.domains[0]: 2001:db8::1 (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=*.example.org        | tls.acme.domains[0]: *.example.org (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=turn.example.org.    | tls.acme.domains[0]: turn.example.org. (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=a.example.org;-b.org | tls.acme.domains[1]: -b.org (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=turn.example.org;TURN.example.org | tls.acme.domains[1]: TURN.example.org (expected: each name once)",
        "tls.acme.domains=1.2.3.4.5            | tls.acme.domains[0]: 1.2.3.4.5 (expected: a DNS name such as turn.example.org (no IP, no wildcard, no trailing dot))",
        "tls.acme.domains=a.example.org&tls.acme.email=nobody | tls.acme.email: nobody (expected: empty or an e-mail address such as ops@example.org)",
        "tls.acme.directory=http://ca.example.org/dir | tls.acme.directory: http://ca.example.org/dir (expected: letsencrypt, letsencrypt-staging or an https:// directory URL)",
        "tls.acme.domains=a.example.org&tls.acme.state-dir= | tls.acme.state-dir: \"\" (expected: a directory that survives restarts)",
        "tls.acme.ca-file=/nonexistent/pebble.pem | tls.acme.ca-file: /nonexistent/pebble.pem (expected: a readable PEM file)",
        "tls.acme.http-listen=0.0.0.0:80       | tls.acme.http-listen: [0.0.0.0:80] (expected: empty unless tls.acme.domains is set)",
        "tls.acme.domains=a.example.org&tls.acme.http-listen=example.org:80 | tls.acme.http-listen[0]: example.org:80 (expected: an IP literal or localhost as host)",
        "tls.acme.redirect-port=0              | tls.acme.redirect-port: 0 (expected: 1-65535)",
    })
    void acmeSettingsReportNameValueAndExpectation(String overrides, String expected) {
        assertThat(errors(overrides.replace(';', ',').split("&"))).containsExactly(expected);
    }

    @Test
    void acmeAndCertificateFilesAreExclusive(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        Path key = Files.writeString(dir.resolve("key.pem"), "x");
        assertThat(errors("tls.cert-file=" + cert, "tls.key-file=" + key, "tls.acme.domains=turn.example.org"))
                .containsExactly("tls.acme.domains: [turn.example.org] (expected: empty when tls.cert-file/tls.key-file "
                        + "are set (one source of certificates))");
        assertThat(errors("tls.acme.domains=turn.example.org,relay.example.org", "tls.acme.email=ops@example.org",
                "tls.acme.directory=letsencrypt-staging", "tls.acme.http-listen=0.0.0.0:80,[::]:80")).isEmpty();
        assertThat(errors("tls.acme.domains=localhost", "tls.acme.directory=https://127.0.0.1:14000/dir")).isEmpty();
        assertThat(errors("tls.acme.domains=turn.example.org", "listeners.tls=")).containsExactly(
                "tls.acme.domains: [turn.example.org] (expected: a listeners.tls port (TLS-ALPN-01 is answered there) "
                        + "or tls.acme.http-listen (HTTP-01))");
        assertThat(errors("tls.acme.domains=turn.example.org", "listeners.tls=", "tls.acme.http-listen=0.0.0.0:80"))
                .isEmpty();
    }

    @Test
    void certificateFilesMustBeReadable() {
        assertThat(errors("tls.cert-file=/nonexistent/cert.pem", "tls.key-file=/nonexistent/key.pem")).containsExactly(
                "tls.cert-file: /nonexistent/cert.pem (expected: a readable PEM file)",
                "tls.key-file: /nonexistent/key.pem (expected: a readable PEM file)");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> load("relay.port-min=0", "quotas.allocations-total=0", "lifetimes.nonce=1s",
                "realm="))
                .isInstanceOfSatisfying(SettingsException.class, e -> {
                    assertThat(e.errors()).containsExactly(
                            "realm: \"\" (expected: 1-127 printable ASCII characters without \" or \\)",
                            "relay.port-min: 0 (expected: 1-65535)",
                            "lifetimes.nonce: 1s (expected: 10s-24h)",
                            "quotas.allocations-total: 0 (expected: >= 1)");
                    assertThat(e.getMessage().lines()).hasSize(5).first().asString().contains("4 problems");
                });
    }

    @Test
    void adminTokenNeedsTheMetricsListener() {
        assertThat(errors("metrics.enabled=false", "admin.token=0123456789abcdef")).containsExactly(
                "admin.token: <redacted> (expected: empty while metrics.enabled is false (the admin API is served "
                        + "on the metrics listener))");
        assertThat(errors("metrics.enabled=false")).isEmpty();
    }

    @Test
    void tokensNeverShowInErrors() {
        assertThatThrownBy(() -> load("metrics.token=tiny-secret", "admin.token=other secret"))
                .hasMessageNotContaining("tiny-secret").hasMessageNotContaining("other secret");
    }

    @Test
    void softwareLongerThan763BytesIsReportedByLengthOnly() {
        String software = "\u00e9".repeat(382); // 764 bytes
        assertThat(errors("software=" + software))
                .containsExactly("software: 764 bytes (expected: at most 763 bytes of UTF-8)");
        assertThat(errors("software=" + "x".repeat(763))).isEmpty();
    }

    @Test
    void secretsAreRedactedInValidationErrors() {
        Settings valid = load("auth.secrets=topsecret-1");
        AuthSettings auth = new AuthSettings(List.of(new Secret("topsecret-1"), new Secret("")), false,
                Map.of("alice", new Secret(""), "bob", new Secret("topsecret-2")));
        Settings s = new Settings(valid.realm(), valid.software(), valid.listeners(), valid.tls(), auth, valid.relay(),
                valid.lifetimes(), valid.quotas(), valid.peers(), valid.amplification(), valid.signaling(),
                valid.redis(), valid.metrics(), valid.admin(), valid.drain(), valid.logging());

        assertThat(SettingsValidator.validate(s)).containsExactly(
                "auth.secrets[1]: <redacted> (expected: a non-empty string)",
                "auth.static-users.alice: <redacted> (expected: a non-empty password)");
        assertThatThrownBy(() -> SettingsValidator.requireValid(s)).hasMessageNotContaining("topsecret");
    }

    @Test
    void checksRecordsBuiltInCode() {
        Settings valid = load("auth.secrets=x");
        Settings s = new Settings("turnbridge", "", new ListenerSettings(List.of(new HostPort("::1", 70000)),
                List.of(), List.of(), 9216, 262144), valid.tls(),
                new AuthSettings(List.of(), false, Map.of()), valid.relay(),
                new LifetimeSettings(Duration.ofSeconds(-1), Duration.ofHours(1), Duration.ofMinutes(5),
                        Duration.ofMinutes(10), Duration.ofMinutes(10)),
                valid.quotas(), valid.peers(), valid.amplification(), valid.signaling(), valid.redis(), valid.metrics(),
                valid.admin(), new DrainSettings(Duration.ofSeconds(-1), List.of()), valid.logging());

        assertThat(SettingsValidator.validate(s)).containsExactly(
                "listeners.udp[0]: [::1]:70000 (expected: port 0-65535)",
                "auth.secrets: [] (expected: at least one secret)",
                "lifetimes.allocation-default: -1s (expected: > 0 and <= 24h)",
                "drain.deadline: -1s (expected: 0s-24h)");
    }

    @Test
    void checksSignaling() {
        assertThat(errors("auth.secrets=x", "signaling.room-capacity-default=20", "signaling.max-message-size=10",
                "signaling.heartbeat-timeout=10s", "signaling.allowed-origins=example.org",
                "signaling.turn-uris=http://x", "signaling.turns-host=*.example.org")).containsExactly(
                "signaling.room-capacity-default: 20 (expected: 1-16)",
                "signaling.max-message-size: 10 (expected: 1024-16777216)",
                "signaling.allowed-origins[0]: example.org (expected: * or scheme://host[:port])",
                "signaling.heartbeat-timeout: 10s (expected: > signaling.heartbeat-interval (25s))",
                "signaling.turn-uris[0]: http://x (expected: a stun:, stuns:, turn: or turns: URI)",
                "signaling.turns-host: *.example.org (expected: empty, a DNS name (turn.example.org) or an IPv4 or "
                        + "IPv6 literal)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"turn.example.org", "localhost", "turn-1.example.org.", "203.0.113.7", "2001:db8::1"})
    void acceptsTurnsHosts(String host) {
        assertThat(errors("auth.secrets=x", "signaling.turns-host=" + host)).isEmpty();
    }

    @Test
    void checksAmplificationAndRoomCreationLimits() {
        assertThat(errors("auth.secrets=x", "amplification.unauthenticated-rate=-1",
                "amplification.unauthenticated-burst=0", "signaling.room-creation-rate=-2",
                "signaling.room-creation-burst=0")).containsExactly(
                "amplification.unauthenticated-rate: -1.0 (expected: 0 (off) or > 0 responses per second)",
                "amplification.unauthenticated-burst: 0 (expected: >= 1)",
                "signaling.room-creation-rate: -2.0 (expected: 0 (off) or > 0 rooms per second)",
                "signaling.room-creation-burst: 0 (expected: >= 1)");
        assertThat(errors("auth.secrets=x", "amplification.unauthenticated-rate=0", "amplification.binding=false",
                "signaling.room-creation-rate=0")).isEmpty();
    }

    @Test
    void jwtAccessWithoutKeysIsRefusedClearly() {
        assertThat(errors("auth.secrets=x", "signaling.access=jwt")).containsExactly(
                "signaling.jwt: no keys (expected: signaling.jwt.secret, jwks-file or jwks-url for signaling.access: "
                        + "jwt (or signaling.access: open for development))");
        assertThat(errors("auth.secrets=x", "signaling.access=jwt",
                "signaling.jwt.secret=0123456789abcdef0123456789abcdef")).isEmpty();
        assertThat(errors("auth.secrets=x", "signaling.access=jwt",
                "signaling.jwt.jwks-url=https://project.supabase.co/auth/v1/.well-known/jwks.json")).isEmpty();
        assertThat(errors("auth.secrets=x", "signaling.access=jwt",
                "signaling.jwt.jwks-url=http://127.0.0.1:8000/jwks.json")).isEmpty();
        assertThat(errors("auth.secrets=x", "signaling.access=jwt", "signaling.jwt.jwks-file=pom.xml",
                "signaling.jwt.jwks-url=https://idp.example.org/jwks.json")).containsExactly(
                "signaling.jwt.jwks-file: pom.xml (expected: empty when signaling.jwt.jwks-url is set (one JWKS))");
    }

    @Test
    void checksAccessSettingsTogether() {
        assertThat(errors("auth.secrets=x", "signaling.access=closed", "signaling.jwt.secret=short",
                "signaling.jwt.jwks-file=/nonexistent/jwks.json", "signaling.jwt.jwks-url=http://idp.example.org/jwks",
                "signaling.jwt.clock-skew=10m", "signaling.jwt.jwks-refresh=10s", "signaling.rooms-per-user=0",
                "signaling.join-token-ttl=1s")).containsExactly(
                "signaling.rooms-per-user: 0 (expected: >= 1)",
                "signaling.join-token-ttl: 1s (expected: 10s-24h)",
                "signaling.access: closed (expected: jwt, api-key or open)",
                "signaling.jwt.secret: <redacted> (expected: empty, or at least 32 bytes (HS256))",
                "signaling.jwt.jwks-file: /nonexistent/jwks.json (expected: empty, or a readable JWKS file)",
                "signaling.jwt.jwks-file: /nonexistent/jwks.json (expected: empty when signaling.jwt.jwks-url is "
                        + "set (one JWKS))",
                "signaling.jwt.jwks-url: http://idp.example.org/jwks (expected: empty, an https:// URL, or http:// "
                        + "on loopback)",
                "signaling.jwt.clock-skew: 600s (expected: 0s-5m)",
                "signaling.jwt.jwks-refresh: 10s (expected: >= signaling.jwt.jwks-min-refresh (30s))");
    }

    @Test
    void apiKeyAccessNeedsAStrongKey() {
        assertThat(errors("auth.secrets=x", "signaling.access=api-key")).containsExactly(
                "signaling.api-key: \"\" (expected: a key of at least 16 characters for signaling.access: api-key)");
        assertThat(errors("auth.secrets=x", "signaling.access=api-key", "signaling.api-key=k3y")).containsExactly(
                "signaling.api-key: <redacted> (expected: empty, or at least 16 printable ASCII characters without "
                        + "spaces)");
        assertThat(errors("auth.secrets=x", "signaling.access=api-key",
                "signaling.api-key=backend-key-0123456789")).isEmpty();
    }

    @Test
    void oneAddressCannotFillTheServerWithLongRooms() {
        // burst + rate x room-ttl-max live rooms per address must fit in max-rooms: 20 + 1 x 86400 > 10000
        assertThat(errors("auth.secrets=x", "signaling.room-creation-rate=1")).containsExactly(
                "signaling.room-ttl-max: 86400s (expected: <= (max-rooms - room-creation-burst) / "
                        + "room-creation-rate = 9980s)");
        assertThat(errors("auth.secrets=x", "signaling.room-creation-rate=1", "signaling.room-ttl-max=9980s",
                "signaling.room-ttl-default=1h")).isEmpty();
        assertThat(errors("auth.secrets=x", "signaling.room-creation-rate=0")).isEmpty();
    }

    @Test
    void checksRedisSettingsTogetherWithoutShowingPasswords() {
        assertThat(errors("auth.secrets=x", "signaling.registry=etcd",
                "redis.uri=http://:hunter2-secret@h:6379,redis://h:6380", "redis.key-prefix=app{x}",
                "redis.presence-lease=1s", "redis.command-timeout=5m")).containsExactly(
                "signaling.registry: etcd (expected: memory or redis)",
                "redis.uri: http://<redacted>@h:6379 (expected: redis://[:password@]host:port[/db] or rediss://...)",
                "redis.uri: 2 URIs (expected: one URI, or redis.cluster: true for several seed nodes)",
                "redis.key-prefix: app{x} (expected: at most 64 printable ASCII characters without spaces, { or })",
                "redis.presence-lease: 1s (expected: 3s-300s)",
                "redis.command-timeout: 300s (expected: 100ms-60s)");
    }

    @Test
    void theRealtimeFrontEndIsNotYetOfferedWithRedisRooms() {
        assertThat(errors("auth.secrets=x", "signaling.registry=redis", "signaling.supabase.anon-keys=anon-key-0123456789abcdef"))
                .containsExactly("signaling.supabase.anon-keys: 1 key(s) (expected: [] with signaling.registry: redis"
                        + " (the Realtime front-end keeps its rooms in one process for now))");
    }

    @Test
    void relayNodesInRedisNeedRedisRoomsAndAnAddressOtherNodesCanHandOut() {
        assertThat(errors("auth.secrets=x", "relay.nodes=etcd")).containsExactly(
                "relay.nodes: etcd (expected: self or redis)");
        assertThat(errors("auth.secrets=x", "relay.nodes=redis")).containsExactly(
                "relay.nodes: redis (expected: self, or redis together with signaling.registry: redis)");
        assertThat(errors("auth.secrets=x", "relay.nodes=redis", "signaling.registry=redis")).containsExactly(
                "relay.nodes: redis (expected: redis with relay.external-address or signaling.turn-uris set)");
        assertThat(errors("auth.secrets=x", "relay.nodes=redis", "signaling.registry=redis",
                "relay.external-address=203.0.113.7")).isEmpty();
    }

    @Test
    void acceptsRedisStandaloneTlsAndClusterUris() {
        assertThat(errors("auth.secrets=x", "signaling.registry=redis", "redis.uri=rediss://:pw@redis.internal:6380/2"))
                .isEmpty();
        assertThat(errors("auth.secrets=x", "signaling.registry=redis", "redis.cluster=true",
                "redis.uri=redis://10.0.0.1:7000, redis://10.0.0.2:7000,redis://10.0.0.3:7000")).isEmpty();
    }

    @Test
    void printedSettingsNeverShowARedisPassword() {
        String printed = SettingsPrinter.print(load("auth.secrets=x", "redis.uri=redis://:hunter2-secret@h:6379",
                "redis.password=other-secret"));

        assertThat(printed).doesNotContain("hunter2").doesNotContain("other-secret")
                .contains("redis://<redacted>@h:6379");
    }
}
