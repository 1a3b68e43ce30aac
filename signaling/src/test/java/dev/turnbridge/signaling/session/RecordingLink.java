package dev.turnbridge.signaling.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.signaling.message.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A {@link PeerLink} that keeps what was sent, parsed. */
final class RecordingLink implements PeerLink {

    final List<JsonNode> sent = new ArrayList<>();
    int closeCode = -1;

    @Override
    public void send(String text) {
        try {
            sent.add(Json.MAPPER.readTree(text));
        } catch (Exception e) {
            throw new AssertionError("server sent invalid JSON: " + text, e);
        }
    }

    @Override
    public void close(int code, String reason) {
        closeCode = code;
    }

    List<String> types() {
        return sent.stream().map(m -> m.path("type").asText()).collect(Collectors.toList());
    }

    /** The messages received since the last call. */
    List<JsonNode> drain() {
        List<JsonNode> out = List.copyOf(sent);
        sent.clear();
        return out;
    }

    JsonNode last() {
        return sent.get(sent.size() - 1);
    }
}
