package dev.turnbridge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Renders the effective settings as YAML, in the same keys the loader reads, for {@code --print-config}.
 * Secrets and static-user passwords show as {@code <redacted>}.
 */
public final class SettingsPrinter {

    private SettingsPrinter() {
    }

    public static String print(Settings settings) {
        YAMLMapper mapper = SettingsModule.mapper();
        ObjectNode tree = mapper.valueToTree(settings);
        // Not a setting a user can write; said as a comment so that the output still loads as a file.
        boolean generated = tree.path("auth") instanceof ObjectNode auth
                && auth.remove("secret-generated") != null
                && settings.auth().secretGenerated();
        if (tree.path("redis") instanceof ObjectNode redis) {
            // A password may be written into the URI: print the URI without it.
            redis.put("uri", String.join(",", settings.redis().uris().stream().map(RedisSettings::redacted).toList()));
        }
        try {
            String yaml = mapper.writeValueAsString(tree);
            return generated
                    ? "# auth.secrets: none configured; a random secret was generated for this run\n" + yaml
                    : yaml;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render settings as YAML", e);
        }
    }
}
