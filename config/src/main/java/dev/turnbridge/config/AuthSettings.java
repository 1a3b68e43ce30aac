package dev.turnbridge.config;

import java.util.List;
import java.util.Map;

/**
 * Long-term credentials.
 *
 * @param secrets     shared secrets for TURN REST credentials (coturn's {@code use-auth-secret}); the first one
 *                    issues credentials, every one verifies them, so a secret can be rotated without downtime.
 *                    Never empty after loading: with none configured a random one is generated at start.
 * @param secretGenerated true when {@code secrets} holds a secret generated at start rather than configured
 * @param staticUsers optional fixed username to password pairs, meant for testing
 */
public record AuthSettings(List<Secret> secrets, boolean secretGenerated, Map<String, Secret> staticUsers) {
    public AuthSettings {
        secrets = List.copyOf(secrets);
        staticUsers = Map.copyOf(staticUsers);
    }
}
