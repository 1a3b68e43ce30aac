package dev.turnbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsPrinterTest {

    @TempDir
    Path dir;

    @Test
    void printsEffectiveSettingsWithSecretsRedacted() {
        Settings s = SettingsLoader.load(null, Map.of("TURNBRIDGE_AUTH__SECRETS", "topsecret-1,topsecret-2"),
                SettingsLoaderTest.open("auth.static-users=alice:topsecret-3", "lifetimes.permission=1500ms",
                        "listeners.udp=[::1]:3478"));

        String yaml = SettingsPrinter.print(s);

        assertThat(yaml).doesNotContain("topsecret").doesNotContain("secret-generated")
                .contains("secrets:\n    - <redacted>\n    - <redacted>")
                .contains("alice: <redacted>")
                .contains("permission: 1500ms")
                .contains("\"[::1]:3478\"")
                .doesNotStartWith("#");
    }

    @Test
    void saysWhenTheSecretWasGenerated() {
        Settings s = SettingsLoader.load(null, Map.of(), SettingsLoaderTest.open());

        String yaml = SettingsPrinter.print(s);

        assertThat(yaml).startsWith("# auth.secrets: none configured")
                .doesNotContain(s.auth().secrets().get(0).reveal());
    }

    @Test
    void printedSettingsLoadBackUnchanged() throws IOException {
        Settings s = SettingsLoader.load(null, Map.of(), SettingsLoaderTest.open("auth.secrets=x", "realm=example.org",
                "relay.external-address=2001:db8::1", "peers.deny=203.0.113.0/24", "lifetimes.nonce=1h"));
        Path file = Files.writeString(dir.resolve("printed.yaml"), SettingsPrinter.print(s));

        Settings reloaded = SettingsLoader.load(file, Map.of(), SettingsLoaderTest.open("auth.secrets=x"));

        assertThat(reloaded).isEqualTo(s);
    }
}
