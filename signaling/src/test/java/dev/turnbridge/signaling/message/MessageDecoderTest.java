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
            "{\"type\":\"join\",\"room\":\"A\",\"token\":1}   | token must be a string",
            "{\"type\":\"resume\",\"token\":\"t\",\"seq\":-1} | seq must be an integer >= 0",
            "{\"type\":\"resume\",\"token\":\"t\",\"seq\":\"1\"} | seq must be an integer >= 0",
            "{\"type\":\"signal\",\"payload\":1,\"seq\":0}    | seq must be an integer >= 1",
            "{\"type\":\"signal\",\"payload\":1,\"seq\":1e3}  | seq must be an integer >= 1",
            "{\"type\":\"signal\",\"payload\":1,\"seq\":99999999999999999999} | seq must be an integer >= 1",
            "{\"type\":\"ack\"}                               | ack needs a seq (an integer >= 0)",
            "{\"type\":\"ack\",\"seq\":-3}                    | ack needs a seq (an integer >= 0)",
            "{\"type\":\"call_report\"}                       | call must be 1..520 characters of ICE ufrags and ':'",
            "{\"type\":\"call_report\",\"call\":\"a b\"}       | call must be 1..520 characters of ICE ufrags and ':'",
            "{\"type\":\"call_report\",\"call\":\"ab\"}        | with must be a peer id",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\"} | outcome must be connected or failed",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"failed\",\"iceRestart\":1} | iceRestart must be a boolean",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\"} | connectMs must be an integer 0..600000",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":600001} | connectMs must be an integer 0..600000",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":5} | local and remote must be host, srflx, prflx or relay",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":5,\"local\":\"relay\",\"remote\":\"mdns\"} | local and remote must be host, srflx, prflx or relay",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":5,\"local\":\"relay\",\"remote\":\"host\"} | relayProtocol is given exactly when local is relay",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":5,\"local\":\"host\",\"remote\":\"host\",\"relayProtocol\":\"udp\"} | relayProtocol is given exactly when local is relay",
            "{\"type\":\"call_report\",\"call\":\"ab\",\"with\":\"p\",\"outcome\":\"connected\",\"connectMs\":5,\"local\":\"relay\",\"remote\":\"host\",\"relayProtocol\":\"sctp\"} | relayProtocol must be udp, tcp or tls",
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

    @Test
    void decodesSequenceNumbersTokensAndCallReports() {
        assertThat(ok("{\"type\":\"signal\",\"payload\":1,\"seq\":9007199254740993}"))
                .isInstanceOfSatisfying(ClientMessage.Signal.class, s -> assertThat(s.seq()).isEqualTo(9007199254740993L));
        assertThat(ok("{\"type\":\"resume\",\"token\":\"t\",\"seq\":0}"))
                .isEqualTo(new ClientMessage.Resume(null, "t", 0L));
        assertThat(ok("{\"type\":\"ack\",\"seq\":4}")).isEqualTo(new ClientMessage.Ack(null, 4));
        assertThat(ok("{\"type\":\"join\",\"room\":\"R\",\"token\":\"p.s\",\"config\":{\"seq\":true}}"))
                .isInstanceOfSatisfying(ClientMessage.Join.class, j -> {
                    assertThat(j.seq()).isTrue();
                    assertThat(j.token()).isEqualTo("p.s");
                });
        assertThat(ok("{\"type\":\"call_report\",\"call\":\"Ab+/:cd\",\"with\":\"p\",\"outcome\":\"connected\","
                + "\"connectMs\":140,\"local\":\"relay\",\"remote\":\"srflx\",\"relayProtocol\":\"tls\"}"))
                .isEqualTo(new ClientMessage.CallReport(null, "Ab+/:cd", "p", true, 140, "relay", "srflx", "tls", false));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "{\"type\":\"signal\",\"payload\":{\"ref\":\"inner\"},\"ref\":\"outer\"} | \"outer\"",
            "{\"payload\":[1,[2,{\"ref\":3}]],\"ref\":42}                     | 42",
            "{\"ref\":{\"a\":1}}                                              | NULL",
            "{\"ref\":123456789012345678901234567890}                           | NULL",
            "{\"type\":\"signal\",\"payload\":\"x\"}                          | NULL",
            "[{\"ref\":1}]                                                    | NULL",
            "{\"ref\":\"cut off                                               | NULL",
            "{\"payload\":\"truncated\", \"ref\":\"r9\"                        | \"r9\"",
    })
    void refOfReadsOnlyTheTopLevelRef(String text, String expected) {
        com.fasterxml.jackson.databind.JsonNode ref = MessageDecoder.refOf(text.trim());
        assertThat(ref == null ? null : Json.write(ref)).isEqualTo(expected);
    }

    private static ClientMessage ok(String text) {
        Decoded decoded = MessageDecoder.decode(text);
        assertThat(decoded).isInstanceOf(Decoded.Ok.class);
        return ((Decoded.Ok) decoded).message();
    }
}
