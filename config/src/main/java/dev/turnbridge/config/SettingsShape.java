package dev.turnbridge.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shape of the settings tree, read from the record types: a record is a section whose keys are its
 * components in kebab-case, a {@code List} is a list, a {@code Map} is a mapping with free keys, anything else
 * is a leaf that Jackson converts (so is a record that {@link SettingsModule} reads from one string). Adding a record component (and its default) is all a new setting takes.
 */
sealed interface SettingsShape {

    /** A record: a mapping with a fixed set of keys. */
    record Section(Map<String, SettingsShape> children) implements SettingsShape {
    }

    record ListOf(SettingsShape element) implements SettingsShape {
    }

    /** A mapping with free keys, such as user names. */
    record MapOf(SettingsShape value) implements SettingsShape {
    }

    record Leaf(Type type) implements SettingsShape {
        boolean secret() {
            return type == Secret.class;
        }

        /** The expectation shown when a value does not convert. */
        String expected() {
            if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
                return "an integer";
            } else if (type == boolean.class || type == Boolean.class) {
                return "true or false";
            } else if (type == Duration.class) {
                return "a duration: seconds, or a number with ms, s, m or h";
            } else if (type == HostPort.class) {
                return "host:port or [ipv6]:port, port 0-65535";
            }
            return "a string";
        }
    }

    /** True when any value below this shape is a {@link Secret}, so the node must never be shown. */
    default boolean holdsSecret() {
        if (this instanceof Leaf leaf) {
            return leaf.secret();
        } else if (this instanceof ListOf list) {
            return list.element().holdsSecret();
        } else if (this instanceof MapOf map) {
            return map.value().holdsSecret();
        }
        return ((Section) this).children().values().stream().anyMatch(SettingsShape::holdsSecret);
    }

    /**
     * Builds the shape of {@code type}. Components whose dotted path is in {@code internal} are left out: they
     * are set by the loader, never by a user.
     */
    static SettingsShape of(Type type, Set<String> internal) {
        return of(type, "", internal);
    }

    private static SettingsShape of(Type type, String path, Set<String> internal) {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (raw.isRecord() && !SettingsModule.VALUE_TYPES.contains(raw)) {
            Map<String, SettingsShape> children = new LinkedHashMap<>();
            for (RecordComponent c : raw.getRecordComponents()) {
                String key = new PropertyNamingStrategies.KebabCaseStrategy().translate(c.getName());
                String childPath = path.isEmpty() ? key : path + "." + key;
                if (!internal.contains(childPath)) {
                    children.put(key, of(c.getGenericType(), childPath, internal));
                }
            }
            return new Section(Collections.unmodifiableMap(children));
        } else if (raw == List.class) {
            return new ListOf(of(((ParameterizedType) type).getActualTypeArguments()[0], path, internal));
        } else if (raw == Map.class) {
            return new MapOf(of(((ParameterizedType) type).getActualTypeArguments()[1], path, internal));
        }
        return new Leaf(type);
    }
}
