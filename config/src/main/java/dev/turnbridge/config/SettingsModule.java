package dev.turnbridge.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the settings value types are spelled in YAML: durations as {@code 600}, {@code 600s}, {@code 10m},
 * {@code 1h} or {@code 500ms}; addresses as {@code host:port}; secrets as plain strings that are written back
 * only as {@code <redacted>}.
 */
final class SettingsModule extends SimpleModule {
    static final String REDACTED = "<redacted>";
    /** Types written as one scalar, even where they are records. */
    static final Set<Class<?>> VALUE_TYPES = Set.of(Duration.class, HostPort.class, Secret.class);

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h)?");

    SettingsModule() {
        super("turnbridge-settings");
        addDeserializer(Duration.class, new DurationDeserializer());
        addSerializer(Duration.class, new ToStringSerializer<>(SettingsModule::formatDuration));
        addDeserializer(HostPort.class, new HostPortDeserializer());
        addSerializer(HostPort.class, new ToStringSerializer<>(HostPort::toString));
        addDeserializer(Secret.class, new SecretDeserializer());
        // An empty secret (signaling.api-key: "" = off) prints as "": redacting it would turn it on when reloaded.
        addSerializer(Secret.class, new ToStringSerializer<>(s -> s.isEmpty() ? "" : REDACTED));
    }

    /** The one mapper configuration for reading and printing settings. */
    static YAMLMapper mapper() {
        return YAMLMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                .addModule(new SettingsModule())
                .build();
    }

    /** Parses {@code 600} (seconds), {@code 600s}, {@code 10m}, {@code 1h}, {@code 500ms}. */
    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Seconds unless the duration has a fractional second; the RFCs state lifetimes in seconds. */
    static String formatDuration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT || p.currentToken() == JsonToken.VALUE_STRING) {
                try {
                    return parseDuration(p.getText());
                } catch (IllegalArgumentException e) {
                    // fall through to the mapping error below
                }
            }
            return (Duration) ctx.handleUnexpectedToken(Duration.class, p);
        }
    }

    private static final class HostPortDeserializer extends JsonDeserializer<HostPort> {
        @Override
        public HostPort deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                try {
                    return HostPort.parse(p.getText());
                } catch (IllegalArgumentException e) {
                    return (HostPort) ctx.handleWeirdStringValue(HostPort.class, "address", e.getMessage());
                }
            }
            return (HostPort) ctx.handleUnexpectedToken(HostPort.class, p);
        }
    }

    private static final class SecretDeserializer extends JsonDeserializer<Secret> {
        @Override
        public Secret deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken().isScalarValue() && p.currentToken() != JsonToken.VALUE_NULL) {
                return new Secret(p.getText());
            }
            return (Secret) ctx.handleUnexpectedToken(Secret.class, p);
        }
    }

    private static final class ToStringSerializer<T> extends JsonSerializer<T> {
        private final java.util.function.Function<T, String> format;

        ToStringSerializer(java.util.function.Function<T, String> format) {
            this.format = format;
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(format.apply(value));
        }
    }
}
