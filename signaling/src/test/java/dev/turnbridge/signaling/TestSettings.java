package dev.turnbridge.signaling;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Settings for tests, through the real loader (defaults + overrides), listening on loopback port 0. */
public final class TestSettings {

    public static final String SECRET = "test-secret";

    private TestSettings() {
    }

    public static Settings with(String... overrides) {
        List<String> all = new ArrayList<>(List.of("auth.secrets=" + SECRET, "signaling.listen=127.0.0.1:0",
                "listeners.udp=127.0.0.1:3478",
                // tests written before access control; access tests override it
                "signaling.access=open"));
        all.addAll(List.of(overrides));
        return SettingsLoader.load(null, Map.of(), all);
    }
}
