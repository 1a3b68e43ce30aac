package dev.turnbridge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.config.SettingsShape.Leaf;
import dev.turnbridge.config.SettingsShape.ListOf;
import dev.turnbridge.config.SettingsShape.MapOf;
import dev.turnbridge.config.SettingsShape.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The settings as a JSON tree while the layers are laid on top of each other. Every layer is checked against
 * the {@link SettingsShape} as it is applied (unknown keys), and the merged tree once more before mapping
 * (value types), so that all problems are collected before Jackson sees the tree.
 */
final class SettingsTree {
    private final Section shape;
    private final ObjectMapper mapper;
    private final ObjectNode root = JsonNodeFactory.instance.objectNode();
    private final List<String> errors = new ArrayList<>();

    SettingsTree(Section shape, ObjectMapper mapper) {
        this.shape = shape;
        this.mapper = mapper;
    }

    ObjectNode root() {
        return root;
    }

    List<String> errors() {
        return errors;
    }

    void addError(String error) {
        errors.add(error);
    }

    /** Lays a parsed YAML document over the tree: sections merge key by key, lists and mappings replace. */
    void merge(JsonNode document) {
        if (document == null || document.isMissingNode() || document.isNull()) {
            return;
        }
        if (!document.isObject()) {
            errors.add(SettingsException.error("(document)", "not a mapping", "a YAML mapping of settings"));
            return;
        }
        merge(root, document, shape, "");
    }

    private void merge(ObjectNode target, JsonNode source, Section section, String path) {
        for (Map.Entry<String, JsonNode> field : source.properties()) {
            String key = field.getKey();
            String keyPath = join(path, key);
            SettingsShape child = section.children().get(key);
            JsonNode value = field.getValue();
            if (child == null) {
                errors.add(unknownKey(keyPath, section, path));
            } else if (child instanceof Section s && value.isObject()) {
                JsonNode existing = target.get(key);
                ObjectNode into = existing instanceof ObjectNode o ? o : target.putObject(key);
                merge(into, value, s, keyPath);
            } else if (value.isNull() && child instanceof ListOf) {
                target.putArray(key); // "deny:" with nothing after it reads as an empty list
            } else if (value.isNull() && child instanceof MapOf) {
                target.putObject(key);
            } else {
                target.set(key, value.deepCopy());
            }
        }
    }

    /**
     * Sets one value given as text (an environment variable or a flag). {@code name} is how the user spelled
     * the key, for error messages. A list takes comma-separated items; a mapping takes comma-separated
     * {@code key:value} pairs, or a single entry addressed as {@code path.key}.
     */
    void set(String dottedPath, String name, String text) {
        String[] segments = dottedPath.split("\\.", -1);
        ObjectNode target = root;
        Section section = shape;
        String path = "";
        for (int i = 0; i < segments.length; i++) {
            String key = segments[i];
            SettingsShape child = section.children().get(key);
            String keyPath = join(path, key);
            boolean last = i == segments.length - 1;
            if (child == null) {
                errors.add(unknownKey(name, section, path));
                return;
            }
            if (child instanceof Section s) {
                if (last) {
                    errors.add(SettingsException.error(name, "a section, not a value", oneOf(s, keyPath)));
                    return;
                }
                JsonNode existing = target.get(key);
                target = existing instanceof ObjectNode o ? o : target.putObject(key);
                section = s;
                path = keyPath;
            } else if (last) {
                setValue(target, key, child, name, text);
                return;
            } else if (child instanceof MapOf && i == segments.length - 2) {
                JsonNode existing = target.get(key);
                ObjectNode map = existing instanceof ObjectNode o ? o : target.putObject(key);
                map.put(segments[i + 1], text);
                return;
            } else {
                errors.add(SettingsException.error(name, "unknown key", keyPath + " takes a value, not sub-keys"));
                return;
            }
        }
    }

    private void setValue(ObjectNode target, String key, SettingsShape child, String name, String text) {
        if (child instanceof ListOf) {
            ArrayNode list = target.putArray(key);
            for (String item : items(text)) {
                list.add(item);
            }
        } else if (child instanceof MapOf map) {
            ObjectNode entries = JsonNodeFactory.instance.objectNode();
            for (String item : items(text)) {
                int colon = item.indexOf(':');
                if (colon <= 0) {
                    errors.add(SettingsException.error(name, map.holdsSecret() ? SettingsModule.REDACTED : text,
                            "comma-separated key:value pairs"));
                    return;
                }
                entries.put(item.substring(0, colon).trim(), item.substring(colon + 1).trim());
            }
            target.set(key, entries);
        } else {
            target.put(key, text);
        }
    }

    private static List<String> items(String text) {
        List<String> items = new ArrayList<>();
        if (text.isBlank()) {
            return items;
        }
        for (String item : text.split(",", -1)) {
            items.add(item.trim());
        }
        return items;
    }

    /** Checks every value against its shape, then maps the tree; returns null when there were errors. */
    <T> T bind(Class<T> type) {
        check(root, shape, "");
        if (!errors.isEmpty()) {
            return null;
        }
        try {
            return mapper.treeToValue(root, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // Not expected after check(). Jackson's message may quote values (secrets too): show only the path.
            String at = e instanceof JsonMappingException m ? " at " + m.getPathReference() : "";
            errors.add(SettingsException.error("(settings)", "not mappable" + at,
                    "values that match their types (" + e.getClass().getSimpleName() + ")"));
            return null;
        }
    }

    private void check(JsonNode node, SettingsShape shape, String path) {
        if (shape instanceof Section section) {
            if (!node.isObject()) {
                errors.add(SettingsException.error(path, show(node, shape), "a mapping"));
                return;
            }
            for (Map.Entry<String, SettingsShape> child : section.children().entrySet()) {
                JsonNode value = node.get(child.getKey());
                String childPath = join(path, child.getKey());
                if (value == null) {
                    errors.add(SettingsException.error(childPath, "missing", "a value (the embedded defaults lack it)"));
                } else {
                    check(value, child.getValue(), childPath);
                }
            }
        } else if (shape instanceof ListOf list) {
            if (!node.isArray()) {
                errors.add(SettingsException.error(path, show(node, shape), "a list"));
                return;
            }
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), list.element(), path + "[" + i + "]");
            }
        } else if (shape instanceof MapOf map) {
            if (!node.isObject()) {
                errors.add(SettingsException.error(path, show(node, shape), "a mapping"));
                return;
            }
            node.properties().forEach(e -> check(e.getValue(), map.value(), join(path, e.getKey())));
        } else {
            Leaf leaf = (Leaf) shape;
            if (!convertible(node, leaf)) {
                errors.add(SettingsException.error(path, show(node, shape), leaf.expected()));
            }
        }
    }

    private boolean convertible(JsonNode node, Leaf leaf) {
        if (!node.isValueNode() || node.isNull()) {
            return false;
        }
        if (node.isTextual() && node.asText().isBlank() && leaf.type() != String.class && !leaf.secret()) {
            return false; // Jackson would read "" as 0 or null
        }
        try {
            return mapper.treeToValue(node, mapper.constructType(leaf.type())) != null;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return false;
        }
    }

    private static Object show(JsonNode node, SettingsShape shape) {
        if (shape.holdsSecret()) {
            return SettingsModule.REDACTED;
        }
        return node.isValueNode() && !node.isNull() ? node.asText() : node.toString();
    }

    private static String unknownKey(String name, Section section, String path) {
        return SettingsException.error(name, "unknown key", oneOf(section, path));
    }

    private static String oneOf(Section section, String path) {
        return "one of " + section.children().keySet().stream()
                .map(k -> join(path, k))
                .collect(Collectors.joining(", "));
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
