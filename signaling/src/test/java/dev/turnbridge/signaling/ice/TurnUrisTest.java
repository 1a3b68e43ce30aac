package dev.turnbridge.signaling.ice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TurnUrisTest {

    @ParameterizedTest(name = "external={0} host={1} -> {2}")
    @CsvSource(nullValues = "NULL", value = {
            "'',          127.0.0.1:8080,  127.0.0.1",
            "'',          192.0.2.7,       192.0.2.7",
            "'',          example.org:80,  127.0.0.1",
            "'',          NULL,            127.0.0.1",
            "'',          0.0.0.0:8080,    127.0.0.1",
            "'',          [::1]:8080,      [::1]",
            "'',          [evil]:8080,     127.0.0.1",
            "203.0.113.9, 127.0.0.1:8080,  203.0.113.9",
            "2001:db8::1, 127.0.0.1:8080,  [2001:db8::1]",
    })
    void derivesFromTheRelayPort(String external, String host, String expectedHost) {
        List<List<String>> uris = new TurnUris(List.of(), external, 3479).forHost(host);

        assertThat(uris.get(0)).containsExactly("stun:" + expectedHost + ":3479");
        assertThat(uris.get(1)).containsExactly("turn:" + expectedHost + ":3479?transport=udp");
    }

    @Test
    void derivesOneUriPerListenerPortAndTransport() {
        RelayListeners relay = new RelayListeners(List.of(3478, 3478), List.of(3478), List.of(5349, 443), "");

        List<List<String>> uris = new TurnUris(List.of(), "203.0.113.9", "", relay).forHost("127.0.0.1:8080");

        assertThat(uris.get(0)).containsExactly("stun:203.0.113.9:3478");
        assertThat(uris.get(1)).containsExactly("turn:203.0.113.9:3478?transport=udp",
                "turn:203.0.113.9:3478?transport=tcp", "turns:203.0.113.9:5349?transport=tcp",
                "turns:203.0.113.9:443?transport=tcp");
    }

    /** The name clients verify the certificate against: the setting, else the certificate's, else the address. */
    @ParameterizedTest(name = "turns-host={0} certificate={1} -> {2}")
    @CsvSource({
            "'',               '',                 [2001:db8::1]",
            "'',               turn.example.org,   turn.example.org",
            "relay.example.net, turn.example.org,  relay.example.net",
            "198.51.100.4,     '',                 198.51.100.4",
            "2001:db8::4,      '',                 [2001:db8::4]",
    })
    void turnsUrisUseTheCertificatesName(String turnsHost, String certificateName, String expectedHost) {
        RelayListeners relay = new RelayListeners(List.of(3478), List.of(3479), List.of(443), certificateName);

        List<String> turn = new TurnUris(List.of(), "2001:db8::1", turnsHost, relay).forHost("127.0.0.1").get(1);

        assertThat(turn).containsExactly("turn:[2001:db8::1]:3478?transport=udp",
                "turn:[2001:db8::1]:3479?transport=tcp", "turns:" + expectedHost + ":443?transport=tcp");
    }

    @Test
    void withoutUdpThereIsNoStunUri() {
        RelayListeners relay = new RelayListeners(List.of(), List.of(), List.of(443), "turn.example.org");

        List<List<String>> uris = new TurnUris(List.of(), "", "", relay).forHost("192.0.2.7:8080");

        assertThat(uris.get(0)).isEmpty();
        assertThat(uris.get(1)).containsExactly("turns:turn.example.org:443?transport=tcp");
    }

    @ParameterizedTest(name = "{0} -> \"{1}\"")
    @CsvSource({
            "'turn.example.org',                      turn.example.org",
            "'*.example.org,turn.example.org',        turn.example.org",
            "'localhost,LOCALHOST',                   ''",
            "'*.example.org',                         ''",
            "'',                                      ''",
    })
    void connectableNameSkipsWildcardsAndLocalhost(String names, String expected) {
        List<String> dnsNames = names.isEmpty() ? List.of() : List.of(names.split(","));

        assertThat(RelayListeners.connectableName(dnsNames)).isEqualTo(expected);
    }

    @Test
    void configuredUrisWinAndAreSplitByScheme() {
        List<List<String>> uris = new TurnUris(List.of("stun:a.example:3478", "turn:a.example:3478?transport=udp",
                "turns:b.example:5349?transport=tcp"), "203.0.113.9", "c.example",
                new RelayListeners(List.of(3478), List.of(3478), List.of(5349), "")).forHost("127.0.0.1");

        assertThat(uris.get(0)).containsExactly("stun:a.example:3478");
        assertThat(uris.get(1)).containsExactly("turn:a.example:3478?transport=udp", "turns:b.example:5349?transport=tcp");
    }

    @Test
    void issuerUsesTheRelaysRestCredentials() {
        Secret secret = new Secret("s");
        IceServersIssuer issuer = new IceServersIssuer(secret, Duration.ofMinutes(10), new TurnUris(List.of(), "", 3478));
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        IceServers ice = issuer.issue("ROOM:peer", "127.0.0.1", now);

        assertThat(ice.username()).isEqualTo(now.plusSeconds(600).getEpochSecond() + ":ROOM:peer");
        assertThat(ice.credential()).isEqualTo(RestCredentials.password(secret, ice.username()));
        assertThat(ice.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(ice.toString()).doesNotContain(ice.credential());
        assertThat(ice.toJson().toString()).isEqualTo("[{\"urls\":[\"stun:127.0.0.1:3478\"]},"
                + "{\"urls\":[\"turn:127.0.0.1:3478?transport=udp\"],\"username\":\"" + ice.username()
                + "\",\"credential\":\"" + ice.credential() + "\"}]");
    }
}
