package dev.turnbridge.relay.testing;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Settings for loopback tests: ephemeral ports on 127.0.0.1 (relay UDP, TCP and TLS, signaling, metrics),
 * secret "north", loopback peers allowed.
 */
public final class TestSettings {
    public static final String SECRET = "north";
    public static final String REALM = "turnbridge.test";

    private TestSettings() {
    }

    /** Loopback defaults plus {@code overrides} ({@code key=value}, later wins). */
    public static Settings loopback(String... overrides) {
        List<String> all = new ArrayList<>(List.of(
                "listeners.udp=127.0.0.1:0",
                "listeners.tcp=127.0.0.1:0",
                "listeners.tls=127.0.0.1:0",
                "auth.secrets=" + SECRET,
                "realm=" + REALM,
                "relay.address=127.0.0.1",
                "peers.allow=127.0.0.1/32",
                // a composition root started with these must not take the default ports of its other listeners
                "signaling.listen=127.0.0.1:0",
                "metrics.listen=127.0.0.1:0",
                // relay tests do not exercise signaling access control; jwt (the default) needs keys
                "signaling.access=open"));
        all.addAll(Arrays.asList(overrides));
        return SettingsLoader.load(null, Map.of(), all);
    }
}
