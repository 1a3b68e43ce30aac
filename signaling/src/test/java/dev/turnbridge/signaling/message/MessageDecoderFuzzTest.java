package dev.turnbridge.signaling.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of the client message decoder: any text frame (bytes read as UTF-8, as Netty's
 * {@code TextWebSocketFrame.text()} does) decodes to a message or to a {@code bad_message} error, never to an
 * exception; the error reply built from it is valid JSON that echoes {@code ref}. Seeds (valid and broken
 * messages) under {@code MessageDecoderFuzzTestInputs/decode/}.
 */
class MessageDecoderFuzzTest {

    @FuzzTest(maxDuration = "4m", maxExecutions = 500_000)
    @DictionaryEntries({"\"type\"", "\"join\"", "\"resume\"", "\"signal\"", "\"leave\"", "\"heartbeat\"",
        "\"ref\"", "\"room\"", "\"meta\"", "\"config\"", "\"self\"", "\"ack\"", "\"token\"", "\"to\"",
        "\"payload\"", "null", "true", "false", "{}", "[]", "\\u0000", "\\ud800", "1e999", "-0"})
    void decode(byte[] input) throws Exception {
        String text = new String(input, StandardCharsets.UTF_8);
        Decoded decoded = MessageDecoder.decode(text);
        assertThat(decoded).isNotNull();
        if (decoded instanceof Decoded.Bad bad) {
            assertThat(bad.code()).isEqualTo(ErrorCode.BAD_MESSAGE);
            assertThat(bad.message()).isNotEmpty();
            JsonNode reply = Json.MAPPER.readTree(ServerMessages.error(bad.code(), bad.message(), bad.ref()));
            assertThat(reply.path("type").asText()).isEqualTo("error");
            if (bad.ref() != null) {
                assertThat(reply.get("ref")).isEqualTo(bad.ref());
            }
            return;
        }
        ClientMessage message = ((Decoded.Ok) decoded).message();
        assertThat(message).isNotNull();
        JsonNode ref = message.ref();
        assertThat(ref == null || ref.isTextual() || ref.isIntegralNumber()).isTrue();
        if (message instanceof ClientMessage.Join join) {
            assertThat(join.room()).isNotNull();
            assertThat(join.meta()).isNotNull();
        } else if (message instanceof ClientMessage.Resume resume) {
            assertThat(resume.token()).isNotEmpty();
        } else if (message instanceof ClientMessage.Signal signal) {
            assertThat(signal.payload()).isNotNull();
            // what the hub forwards must serialize
            Json.MAPPER.readTree(ServerMessages.signal("abcdefghij", signal.to(), signal.payload(), 7, null));
        }
        // the ack and heartbeat replies echo ref
        Json.MAPPER.readTree(ServerMessages.ack(ref, 3));
        Json.MAPPER.readTree(ServerMessages.heartbeat(ref, -1));
    }
}
