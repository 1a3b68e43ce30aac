package dev.turnbridge.signaling.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/**
 * The client message decoder (jqwik, fixed seeds, small tries: part of every build): messages written by a
 * JSON library decode to the same fields whatever the strings hold, and arbitrary text never throws.
 */
class MessageDecoderPropertiesTest {

    @Property(tries = 300, seed = "20260301")
    void joinRoundTrips(@ForAll @StringLength(max = 40) String room, @ForAll @StringLength(max = 40) String name,
            @ForAll @StringLength(max = 20) String ref, @ForAll boolean self, @ForAll boolean ack) {
        ObjectNode m = Json.object().put("type", "join").put("ref", ref).put("room", room);
        m.putObject("meta").put("name", name);
        m.putObject("config").put("self", self).put("ack", ack);

        Decoded decoded = MessageDecoder.decode(Json.write(m));

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Ok.class, ok -> {
            ClientMessage.Join join = (ClientMessage.Join) ok.message();
            assertThat(join.room()).isEqualTo(room);
            assertThat(join.ref().textValue()).isEqualTo(ref);
            assertThat(join.meta().get("name").textValue()).isEqualTo(name);
            assertThat(join.self()).isEqualTo(self);
            assertThat(join.ack()).isEqualTo(ack);
        });
    }

    @Property(tries = 300, seed = "20260302")
    void signalRoundTrips(@ForAll @StringLength(max = 20) String to, @ForAll("jsonText") String payload,
            @ForAll long ref) {
        ObjectNode m = Json.object().put("type", "signal").put("ref", ref).put("to", to).put("payload", payload);

        Decoded decoded = MessageDecoder.decode(Json.write(m));

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Ok.class, ok -> {
            ClientMessage.Signal signal = (ClientMessage.Signal) ok.message();
            assertThat(signal.to()).isEqualTo(to);
            assertThat(signal.payload().textValue()).isEqualTo(payload);
            assertThat(signal.ref().longValue()).isEqualTo(ref);
        });
    }

    @Property(tries = 1000, seed = "20260303")
    void arbitraryTextNeverThrows(@ForAll("jsonText") String text) {
        Decoded decoded = MessageDecoder.decode(text);
        assertThat(decoded).isNotNull();
        if (decoded instanceof Decoded.Bad bad) {
            assertThat(bad.code()).isEqualTo(ErrorCode.BAD_MESSAGE);
            assertThat(ServerMessages.error(bad.code(), bad.message(), bad.ref())).startsWith("{");
        }
    }

    /** Text made mostly of JSON's own characters and keywords, so that tries get past the first token. */
    @Provide
    Arbitrary<String> jsonText() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.of("{", "}", "[", "]", ":", ",", "\"", "\\", "\"type\"", "\"join\"", "\"signal\"",
                        "\"resume\"", "\"leave\"", "\"heartbeat\"", "\"ref\"", "\"room\"", "\"meta\"", "\"config\"",
                        "\"token\"", "\"to\"", "\"payload\"", "null", "true", "false", "1e999", "-0", "1.5",
                        "9223372036854775808", "\\u0000", "\\ud800", " "),
                Arbitraries.strings().ofMaxLength(4));
        return token.list().ofMaxSize(30).map(parts -> String.join("", parts));
    }
}
