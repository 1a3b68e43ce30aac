package dev.turnbridge.signaling.message;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageDecoderTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "not json                                         | not JSON",
            "[1,2]                                            | expected a JSON object",
            "\"join\"                                         | expected a JSON object",
            "{}                                               | missing type",
            "{\"type\":5}                                     | missing type",
            "{\"type\":\"dance\"}                             | unknown type",
            "{\"type\":\"join\"}                              | join needs a room",
            "{\"type\":\"join\",\"room\":7}                   | join needs a room",
            "{\"type\":\"join\",\"room\":\"A\",\"meta\":[]}   | meta must be an object",
            "{\"type\":\"join\",\"room\":\"A\",\"config\":1}  | config must be an object",
            "{\"type\":\"resume\"}                            | resume needs a token",
            "{\"type\":\"resume\",\"token\":\"\"}             | resume needs a token",
            "{\"type\":\"signal\"}                            | signal needs a payload",
            "{\"type\":\"signal\",\"to\":1,\"payload\":{}}    | to must be a peer id",
            "{\"type\":\"heartbeat\",\"ref\":{}}              | ref must be a string or an integer",
            "{\"type\":\"heartbeat\",\"ref\":1.5}             | ref must be a string or an integer",
    })
    void malformedMessagesAreBadMessage(String text, String reason) {
        Decoded decoded = MessageDecoder.decode(text.trim());

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Bad.class, bad -> {
            assertThat(bad.code()).isEqualTo(ErrorCode.BAD_MESSAGE);
            assertThat(bad.message()).isEqualTo(reason);
        });
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "{\"type\":\"signal\",\"payload\":" + "[".repeat(5000) + "]".repeat(5000) + "}";

        assertThat(MessageDecoder.decode(deep)).isInstanceOf(Decoded.Bad.class);
    }

    @Test
    void badMessageKeepsTheRefWhenItCanBeRead() {
        Decoded decoded = MessageDecoder.decode("{\"type\":\"dance\",\"ref\":\"r1\"}");

        assertThat(((Decoded.Bad) decoded).ref().asText()).isEqualTo("r1");
    }

    @Test
    void decodesEveryType() {
        assertThat(ok("{\"type\":\"join\",\"room\":\"ABCD2345\",\"meta\":{\"n\":1},\"config\":{\"self\":true}}"))
                .isEqualTo(new ClientMessage.Join(null, "ABCD2345", (com.fasterxml.jackson.databind.node.ObjectNode)
                        Json.MAPPER.createObjectNode().put("n", 1), true, false));
        assertThat(ok("{\"type\":\"resume\",\"token\":\"t\",\"ref\":1}")).isInstanceOf(ClientMessage.Resume.class);
        assertThat(ok("{\"type\":\"signal\",\"to\":null,\"payload\":null}"))
                .isInstanceOfSatisfying(ClientMessage.Signal.class, s -> assertThat(s.to()).isNull());
        assertThat(ok("{\"type\":\"leave\"}")).isInstanceOf(ClientMessage.Leave.class);
        assertThat(ok("{\"type\":\"heartbeat\",\"ref\":null}").ref()).isNull();
    }

    private static ClientMessage ok(String text) {
        Decoded decoded = MessageDecoder.decode(text);
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        return ((Decoded.Ok) decoded).message();
    }
}
