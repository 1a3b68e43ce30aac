package dev.turnbridge.server.acme;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The plain-HTTP listener answers HTTP-01 and redirects, nothing else; off the network, every buffer released. */
class Http01HandlerTest {
    private static final String TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";

    private static String exchange(Http01Tokens tokens, int httpsPort, String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(4096, 8192, 8192),
                new Http01Handler(tokens, List.of("turn.example.org", "relay.example.org"), httpsPort));
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        assertThat(ch.isOpen()).as("closed after one response").isFalse();
        assertThat(ch.finish()).isFalse();
        return out.toString();
    }

    private static Http01Tokens pending() {
        Http01Tokens tokens = new Http01Tokens();
        tokens.put(TOKEN, TOKEN + ".thumbprint");
        return tokens;
    }

    @Test
    void answersAPendingChallengeWithItsKeyAuthorization() {
        String response = exchange(pending(), 443, "GET /.well-known/acme-challenge/" + TOKEN
                + " HTTP/1.1\r\nHost: turn.example.org\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\n" + TOKEN + ".thumbprint")
                .contains("connection: close");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET /.well-known/acme-challenge/unknownunknownunknownunknown HTTP/1.1  | HTTP/1.1 404",
        "GET /.well-known/acme-challenge/../../etc/passwd HTTP/1.1              | HTTP/1.1 404",
        "GET /.well-known/acme-challenge/ HTTP/1.1                              | HTTP/1.1 404",
        "POST /.well-known/acme-challenge/" + TOKEN + " HTTP/1.1               | HTTP/1.1 404",
        "GET http://turn.example.org/ HTTP/1.1                                  | HTTP/1.1 400",
    })
    void refusesEverythingElseOnTheChallengePath(String line, String status) {
        assertThat(exchange(pending(), 443, line + "\r\nHost: turn.example.org\r\nContent-Length: 0\r\n\r\n"))
                .startsWith(status);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "relay.example.org:80 | 443  | /room/abc?x=1 | https://relay.example.org/room/abc?x=1",
        "TURN.example.org.    | 8443 | /             | https://turn.example.org:8443/",
        "evil.example.net     | 443  | /phish        | https://turn.example.org/phish",
        "[::1]:80             | 443  | /             | https://turn.example.org/",
    })
    void redirectsToHttpsOnAConfiguredName(String host, int port, String path, String location) {
        String response = exchange(pending(), port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 301 Moved Permanently").contains("location: " + location + "\r\n");
    }

    @Test
    void aRequestWithoutHostGoesToTheFirstDomainAndABadRequestGets400() {
        assertThat(exchange(pending(), 443, "GET / HTTP/1.0\r\n\r\n")).contains("location: https://turn.example.org/");
        assertThat(exchange(pending(), 443, "GET / HTTP/1.1\r\nHost: " + "x".repeat(9000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 400");
    }

    @Test
    void malformedTokensAreNeverStored() {
        Http01Tokens tokens = new Http01Tokens();
        for (String bad : List.of("short", "../../etc/passwd0000000000000", "a".repeat(129), "with space 00000000000000")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> tokens.put(bad, "x"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        tokens.put(TOKEN, "ka");
        tokens.remove(TOKEN);
        assertThat(tokens.keyAuthorization(TOKEN)).isNull();
    }
}
