package dev.turnbridge.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds {@link Settings} from four layers, later wins: the embedded {@code defaults.yaml}, the YAML file, the
 * environment ({@code TURNBRIDGE_RELAY__PORT_MIN=50000}: {@code __} between levels, {@code _} for {@code -}),
 * and overrides from flags ({@code relay.port-min=50000}). Text values for lists are comma-separated.
 * Unknown keys, unconvertible values and {@link SettingsValidator} findings are all reported together in one
 * {@link SettingsException}.
 */
public final class SettingsLoader {
    public static final String ENV_PREFIX = "TURNBRIDGE_";

    private static final String DEFAULTS = "defaults.yaml";
    private static final String SECRETS = "secrets";
    private static final String SECRET_GENERATED = "secret-generated";
    // Set by the loader, never by a user.
    private static final Set<String> INTERNAL = Set.of("auth." + SECRET_GENERATED);
    private static final SettingsShape.Section SHAPE =
            (SettingsShape.Section) SettingsShape.of(Settings.class, INTERNAL);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SettingsLoader() {
    }

    /**
     * Loads, checks and validates the settings.
     *
     * @param file      a YAML file, or null for none
     * @param env       the process environment; only {@code TURNBRIDGE_*} entries are read
     * @param overrides {@code key=value} strings from the command line
     * @throws SettingsException listing every problem found
     */
    public static Settings load(Path file, Map<String, String> env, List<String> overrides) {
        YAMLMapper mapper = SettingsModule.mapper();
        SettingsTree tree = new SettingsTree(SHAPE, mapper);
        tree.merge(readDefaults(mapper));
        if (file != null) {
            tree.merge(readFile(mapper, file, tree));
        }
        // Sorted so that errors come out in a stable order.
        new TreeMap<>(env).forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                tree.set(envPath(name), name, value);
            }
        });
        for (int i = 0; i < overrides.size(); i++) {
            String override = overrides.get(i);
            int eq = override.indexOf('=');
            if (eq <= 0) {
                // The text may be a mistyped secret, so it is not echoed.
                tree.addError(SettingsException.error("override #" + (i + 1),
                        "not key=value", "key=value, e.g. relay.port-min=50000"));
            } else {
                String key = override.substring(0, eq).trim();
                tree.set(key, key, override.substring(eq + 1));
            }
        }
        generateSecretIfNone(tree.root());
        Settings settings = tree.bind(Settings.class);
        if (settings == null) {
            throw new SettingsException(tree.errors());
        }
        SettingsValidator.requireValid(settings);
        return settings;
    }

    /** {@code TURNBRIDGE_RELAY__PORT_MIN} becomes {@code relay.port-min}. */
    static String envPath(String name) {
        return name.substring(ENV_PREFIX.length())
                .toLowerCase(Locale.ROOT)
                .replace("__", ".")
                .replace('_', '-');
    }

    // With no secret anywhere the relay would run open, or not at all; a random one keeps it closed and the
    // printed config says so, telling the operator to configure a real one for REST credentials.
    private static void generateSecretIfNone(ObjectNode root) {
        if (root.get("auth") instanceof ObjectNode auth) {
            boolean none = auth.get(SECRETS) instanceof ArrayNode secrets && secrets.isEmpty();
            if (none) {
                byte[] bytes = new byte[32];
                RANDOM.nextBytes(bytes);
                ((ArrayNode) auth.get(SECRETS)).add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
            }
            auth.put(SECRET_GENERATED, none);
        }
    }

    private static JsonNode readDefaults(YAMLMapper mapper) {
        try (InputStream in = SettingsLoader.class.getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the config jar");
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read embedded " + DEFAULTS, e);
        }
    }

    private static JsonNode readFile(YAMLMapper mapper, Path file, SettingsTree tree) {
        try (var reader = Files.newBufferedReader(file)) {
            return mapper.readTree(reader);
        } catch (JsonProcessingException e) {
            // Only the position: the parser's message can quote the offending line, which may hold a secret.
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            tree.addError(SettingsException.error(file.toString(), "invalid YAML" + where,
                    "a YAML mapping of settings without duplicate keys"));
        } catch (IOException e) {
            tree.addError(SettingsException.error(file.toString(), "unreadable (" + e.getClass().getSimpleName() + ")",
                    "a readable YAML file"));
        }
        return null;
    }
}
