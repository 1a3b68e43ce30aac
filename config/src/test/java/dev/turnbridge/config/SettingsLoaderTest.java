package dev.turnbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path file = dir.resolve("turnbridge.yaml");
        Files.writeString(file, text);
        return file;
    }

    /** Open access unless {@code overrides} say otherwise: jwt, the default, needs keys. */
    static final String OPEN = "signaling.access=open";

    private static Settings flags(String... overrides) {
        return SettingsLoader.load(null, Map.of(), open(overrides));
    }

    static List<String> open(String... overrides) {
        List<String> all = new java.util.ArrayList<>(List.of(OPEN));
        all.addAll(List.of(overrides));
        return all;
    }

    private static List<String> errors(ThrowingCallable load) {
        return ((SettingsException) org.assertj.core.api.Assertions.catchThrowable(load)).errors();
    }

    /** Key material that makes the default access mode (jwt) valid. */
    private static final String JWT_SECRET = "signaling.jwt.secret=0123456789abcdef0123456789abcdef";

    /** The settings with the secrets set aside, for comparing loads that each generate their own. */
    private static Settings withoutSecrets(Settings s) {
        SignalingSettings signaling = copy(s.signaling(), "jwt", copy(s.signaling().jwt(), "secret", new Secret("")));
        return new Settings(s.realm(), s.software(), s.listeners(), s.tls(),
                new AuthSettings(List.of(), false, s.auth().staticUsers()),
                s.relay(), s.lifetimes(), s.quotas(), s.peers(), s.amplification(), signaling,
                s.redis(), s.metrics(), s.admin(), s.drain(), s.logging());
    }

    /** {@code record} with one component replaced (the settings records have no withers). */
    @SuppressWarnings("unchecked")
    private static <R extends Record> R copy(R record, String component, Object value) {
        try {
            var components = record.getClass().getRecordComponents();
            Object[] args = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                args[i] = components[i].getName().equals(component) ? value : components[i].getAccessor().invoke(record);
            }
            return (R) record.getClass().getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void defaults() {
        Settings s = SettingsLoader.load(null, Map.of(), List.of(JWT_SECRET));

        assertThat(withoutSecrets(s)).isEqualTo(new Settings(
                "turnbridge",
                "turnbridge",
                new ListenerSettings(List.of(new HostPort("0.0.0.0", 3478)), List.of(new HostPort("0.0.0.0", 3478)),
                        List.of(new HostPort("0.0.0.0", 5349)), 9216, 262144),
                new TlsSettings("", "", Duration.ofSeconds(60), AcmeSettings.defaults()),
                new AuthSettings(List.of(), false, Map.of()),
                new RelaySettings("0.0.0.0", "::", "", 49152, 65535, false, true),
                new LifetimeSettings(Duration.ofSeconds(600), Duration.ofSeconds(3600), Duration.ofSeconds(300),
                        Duration.ofSeconds(600), Duration.ofSeconds(600)),
                new QuotaSettings(100, 10000, 64, 64, 64, 64, 1024, 256, 12_500_000, 2_500_000),
                new PeerPolicySettings(List.of(), List.of(), false),
                new AmplificationSettings(true, 50.0, 200),
                SignalingSettings.defaults(),
                RedisSettings.defaults(),
                new MetricsSettings(true, new HostPort("127.0.0.1", 9641), new Secret("")),
                new AdminSettings(new Secret("")),
                new DrainSettings(Duration.ofSeconds(300), List.of()),
                new LoggingSettings("plain", "info")));
    }

    @Test
    void generatesARandomSecretWhenNoneIsConfigured() {
        Settings a = flags();
        Settings b = flags();

        assertThat(a.auth().secretGenerated()).isTrue();
        assertThat(a.auth().secrets()).singleElement()
                .satisfies(secret -> assertThat(secret.reveal()).matches("[A-Za-z0-9_-]{43}"));
        assertThat(a.auth().secrets()).isNotEqualTo(b.auth().secrets());
    }

    @Test
    void configuredSecretsAreKeptInOrder() {
        Settings s = flags("auth.secrets=new, old");

        assertThat(s.auth().secretGenerated()).isFalse();
        assertThat(s.auth().secrets()).containsExactly(new Secret("new"), new Secret("old"));
    }

    @Test
    void fileOverridesDefaultsAndLeavesTheRest() throws IOException {
        Path file = yaml("""
                realm: example.org
                listeners:
                  udp: ["127.0.0.1:3478", "[::1]:3479"]
                auth:
                  secrets: [s1]
                  static-users: {alice: wonderland}
                relay:
                  port-min: 50000
                lifetimes:
                  nonce: 2m
                peers:
                  allow: [127.0.0.1/32]
                """);

        Settings s = SettingsLoader.load(file, Map.of(), open());

        assertThat(s.realm()).isEqualTo("example.org");
        assertThat(s.listeners().udp()).containsExactly(new HostPort("127.0.0.1", 3478), new HostPort("::1", 3479));
        assertThat(s.listeners().maxDatagramSize()).isEqualTo(9216);
        assertThat(s.auth().secrets()).containsExactly(new Secret("s1"));
        assertThat(s.auth().staticUsers()).isEqualTo(Map.of("alice", new Secret("wonderland")));
        assertThat(s.relay()).isEqualTo(new RelaySettings("0.0.0.0", "::", "", 50000, 65535, false, true));
        assertThat(s.lifetimes().nonce()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.peers().allow()).containsExactly("127.0.0.1/32");
    }

    @Test
    void environmentOverridesFileAndFlagsOverrideEnvironment() throws IOException {
        Path file = yaml("relay: {port-min: 50000, port-max: 50100}\nrealm: from-file\n");
        Map<String, String> env = Map.of(
                "TURNBRIDGE_RELAY__PORT_MIN", "50010",
                "TURNBRIDGE_RELAY__PORT_MAX", "50090",
                "TURNBRIDGE_REALM", "from-env",
                "PATH", "/usr/bin",
                "TURNBRIDGEX", "not ours");

        Settings s = SettingsLoader.load(file, env, open("relay.port-max=50020"));

        assertThat(s.realm()).isEqualTo("from-env");
        assertThat(s.relay().portMin()).isEqualTo(50010);
        assertThat(s.relay().portMax()).isEqualTo(50020);
    }

    @ParameterizedTest
    @CsvSource({
        "TURNBRIDGE_REALM,                       realm",
        "TURNBRIDGE_RELAY__PORT_MIN,             relay.port-min",
        "TURNBRIDGE_LISTENERS__MAX_DATAGRAM_SIZE, listeners.max-datagram-size",
        "TURNBRIDGE_AUTH__STATIC_USERS,          auth.static-users",
    })
    void environmentNamesMapToKeys(String name, String key) {
        assertThat(SettingsLoader.envPath(name)).isEqualTo(key);
    }

    @Test
    void environmentListsAndMaps() {
        Settings s = SettingsLoader.load(null, Map.of(
                "TURNBRIDGE_LISTENERS__UDP", "127.0.0.1:0, [::1]:3478",
                "TURNBRIDGE_AUTH__SECRETS", "a,b",
                "TURNBRIDGE_AUTH__STATIC_USERS", "alice:pw:with:colons,bob:pw2",
                "TURNBRIDGE_PEERS__DENY", ""), open());

        assertThat(s.listeners().udp()).containsExactly(new HostPort("127.0.0.1", 0), new HostPort("::1", 3478));
        assertThat(s.auth().secrets()).containsExactly(new Secret("a"), new Secret("b"));
        assertThat(s.auth().staticUsers())
                .isEqualTo(Map.of("alice", new Secret("pw:with:colons"), "bob", new Secret("pw2")));
        assertThat(s.peers().deny()).isEmpty();
    }

    @Test
    void flagsSetListsMapsAndSingleMapEntries() throws IOException {
        Path file = yaml("peers: {deny: [203.0.113.0/24]}\nauth: {static-users: {alice: a}}\n");

        Settings s = SettingsLoader.load(file, Map.of(),
                open("peers.deny=", "auth.static-users.Carol=c", "peers.allow=10.0.0.0/8,::1"));

        assertThat(s.peers().deny()).isEmpty();
        assertThat(s.peers().allow()).containsExactly("10.0.0.0/8", "::1");
        assertThat(s.auth().staticUsers()).isEqualTo(Map.of("alice", new Secret("a"), "Carol", new Secret("c")));
    }

    @ParameterizedTest
    @CsvSource({
        "600,   PT10M",
        "600s,  PT10M",
        "10m,   PT10M",
        "1h,    PT1H",
        "500ms, PT0.5S",
        "' 90 ', PT1M30S",
    })
    void durations(String text, Duration expected) throws IOException {
        assertThat(flags("lifetimes.permission=" + text).lifetimes().permission()).isEqualTo(expected);
        assertThat(SettingsLoader.load(yaml("lifetimes: {channel: " + text.trim() + "}"), Map.of(), open())
                .lifetimes().channel()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "lifetimes.nonce=10x         | lifetimes.nonce: 10x (expected: a duration: seconds, or a number with ms, s, m or h)",
        "lifetimes.nonce=-5          | lifetimes.nonce: -5 (expected: a duration: seconds, or a number with ms, s, m or h)",
        "lifetimes.nonce=1.5h        | lifetimes.nonce: 1.5h (expected: a duration: seconds, or a number with ms, s, m or h)",
        "relay.port-min=abc          | relay.port-min: abc (expected: an integer)",
        "relay.port-min=             | relay.port-min: \"\" (expected: an integer)",
        "relay.port-min=99999999999  | relay.port-min: 99999999999 (expected: an integer)",
        "listeners.udp=1.2.3.4       | listeners.udp[0]: 1.2.3.4 (expected: host:port or [ipv6]:port, port 0-65535)",
        "listeners.udp=1.2.3.4:70000 | listeners.udp[0]: 1.2.3.4:70000 (expected: host:port or [ipv6]:port, port 0-65535)",
        "listeners.udp=::1:3478      | listeners.udp[0]: ::1:3478 (expected: host:port or [ipv6]:port, port 0-65535)",
    })
    void unconvertibleFlagValues(String flag, String expected) {
        assertThat(errors(() -> flags(flag))).containsExactly(expected);
    }

    @Test
    void unconvertibleFileValues() throws IOException {
        Path file = yaml("""
                realm: [a, b]
                listeners: {max-datagram-size: 1500.5}
                relay: 5
                quotas: {allocations-total: null}
                """);

        assertThat(errors(() -> SettingsLoader.load(file, Map.of(), open()))).containsExactly(
                "realm: [\"a\",\"b\"] (expected: a string)",
                "listeners.max-datagram-size: 1500.5 (expected: an integer)",
                "relay: 5 (expected: a mapping)",
                "quotas.allocations-total: null (expected: an integer)");
    }

    @Test
    void unknownKeysFromEverySourceAreReportedTogether() throws IOException {
        Path file = yaml("relay: {port-minimum: 1}\nrelm: x\n");
        Map<String, String> env = Map.of("TURNBRIDGE_RELAY__PORTMIN", "1", "TURNBRIDGE_QUOTAS", "1");

        List<String> errors = errors(() -> SettingsLoader.load(file, env,
                List.of("lifetimes.nonse=1s", "auth.secret-generated=true", "relay.port-min.x=1", "nope")));

        // the expectation lists of sections grow with every new setting; the key, the problem and that an
        // expectation is given are what matter here
        assertThat(errors).extracting(e -> e.substring(0, e.indexOf(" (expected: "))).containsExactly(
                "relay.port-minimum: unknown key",
                "relm: unknown key",
                "TURNBRIDGE_QUOTAS: a section, not a value",
                "TURNBRIDGE_RELAY__PORTMIN: unknown key",
                "lifetimes.nonse: unknown key",
                "auth.secret-generated: unknown key",
                "relay.port-min.x: unknown key",
                "override #4: not key=value");
        assertThat(errors.get(0)).contains("relay.port-min, relay.port-max");
        assertThat(errors.get(5)).endsWith("(expected: one of auth.secrets, auth.static-users)");
        assertThat(errors.get(6)).endsWith("(expected: relay.port-min takes a value, not sub-keys)");
    }

    @Test
    void fileProblems() throws IOException {
        Path missing = dir.resolve("missing.yaml");
        assertThat(errors(() -> SettingsLoader.load(missing, Map.of(), open()))).singleElement()
                .asString().startsWith(missing + ": unreadable (");

        Path list = yaml("- a\n- b\n");
        assertThat(errors(() -> SettingsLoader.load(list, Map.of(), open())))
                .containsExactly("(document): not a mapping (expected: a YAML mapping of settings)");

        Path duplicate = yaml("realm: a\nrealm: b\n");
        assertThat(errors(() -> SettingsLoader.load(duplicate, Map.of(), open()))).singleElement()
                .asString().startsWith(duplicate + ": invalid YAML at line 2");

        assertThat(SettingsLoader.load(yaml("# nothing set\n"), Map.of(), open()).realm()).isEqualTo("turnbridge");
    }

    @Test
    void secretsNeverAppearInErrors() throws IOException {
        Path file = yaml("""
                auth:
                  secrets: {nested: topsecret-1}
                  static-users: {alice: [topsecret-2]}
                """);
        Map<String, String> env = Map.of("TURNBRIDGE_AUTH__STATIC_USERS", "topsecret-3");
        List<String> overrides = List.of("auth.secrets:topsecret-4", "auth.secret=topsecret-5");

        assertThatThrownBy(() -> SettingsLoader.load(file, env, overrides))
                .isInstanceOfSatisfying(SettingsException.class, e -> {
                    assertThat(e.errors()).containsExactly(
                            "TURNBRIDGE_AUTH__STATIC_USERS: <redacted> (expected: comma-separated key:value pairs)",
                            "override #1: not key=value (expected: key=value, e.g. relay.port-min=50000)",
                            "auth.secret: unknown key (expected: one of auth.secrets, auth.static-users)",
                            "auth.secrets: <redacted> (expected: a list)",
                            "auth.static-users.alice: <redacted> (expected: a string)");
                    assertThat(e.getMessage()).doesNotContain("topsecret");
                });

        Path broken = yaml("auth:\n  secrets: [topsecret-6\nrealm: x\n");
        assertThatThrownBy(() -> SettingsLoader.load(broken, Map.of(), open()))
                .hasMessageContaining("invalid YAML").hasMessageNotContaining("topsecret");

        assertThatThrownBy(() -> flags("auth.secrets=topsecret-7,"))
                .hasMessageContaining("auth.secrets[1]: <redacted>").hasMessageNotContaining("topsecret");
    }

    @Test
    void sampleFileEqualsTheDefaults() {
        Path sample = Path.of("..", "turnbridge.sample.yaml");

        // The sample keeps the default access (jwt), which needs keys: the same one for both.
        Settings fromSample = SettingsLoader.load(sample, Map.of(), List.of(JWT_SECRET));

        assertThat(withoutSecrets(fromSample))
                .isEqualTo(withoutSecrets(SettingsLoader.load(null, Map.of(), List.of(JWT_SECRET))));
        assertThat(fromSample.auth().secretGenerated()).isTrue();
    }
}
