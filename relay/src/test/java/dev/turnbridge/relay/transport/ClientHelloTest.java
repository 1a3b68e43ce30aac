package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SNI and ALPN read from real ClientHellos (the JDK's) and from every kind of truncated or overlong one. */
class ClientHelloTest {

    /** The ClientHello body (after the record and handshake headers) of a JDK client. */
    private static byte[] jdkHello(String serverName, String... alpn) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("ignored", 443);
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        params.setApplicationProtocols(alpn);
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        assertThat(out.get(0)).as("handshake record").isEqualTo((byte) 22);
        assertThat(out.get(5)).as("client_hello").isEqualTo((byte) 1);
        int length = ((out.get(6) & 0xff) << 16) | ((out.get(7) & 0xff) << 8) | (out.get(8) & 0xff);
        byte[] body = new byte[length];
        out.position(9);
        out.get(body);
        return body;
    }

    private static ClientHello parse(byte[] body) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            ClientHello hello = ClientHello.parse(buf);
            assertThat(buf.readerIndex()).as("nothing consumed").isZero();
            return hello;
        } finally {
            buf.release();
        }
    }

    @Test
    void readsServerNameAndProtocolsOfARealHello() throws Exception {
        ClientHello hello = parse(jdkHello("Turn.Example.org", "acme-tls/1"));

        assertThat(hello.serverName()).isEqualTo("turn.example.org");
        assertThat(hello.protocols()).containsExactly("acme-tls/1");
        assertThat(hello.offersOnly("acme-tls/1")).isTrue();
    }

    @Test
    void keepsTheClientsOrderAndTellsAnOfferAmongOthers() throws Exception {
        ClientHello hello = parse(jdkHello("turn.example.org", "stun.turn", "acme-tls/1"));

        assertThat(hello.protocols()).containsExactly("stun.turn", "acme-tls/1");
        assertThat(hello.offersOnly("acme-tls/1")).isFalse();
    }

    @Test
    void aHelloWithoutTheExtensionsHasNeither() throws Exception {
        ClientHello hello = parse(jdkHello(null));

        assertThat(hello.serverName()).isNull();
        assertThat(hello.protocols()).isEmpty();
        assertThat(ClientHello.parse(null)).isEqualTo(ClientHello.NONE);
    }

    @Test
    void everyTruncationGivesNoneOrAPrefixNeverAnException() throws Exception {
        byte[] body = jdkHello("turn.example.org", "acme-tls/1");
        for (int length = 0; length < body.length; length++) {
            byte[] cut = java.util.Arrays.copyOf(body, length);
            ClientHello hello = parse(cut);
            // a cut hello has its vectors overrun: nothing is believed from it
            assertThat(hello).as("cut at %d of %d", length, body.length).isEqualTo(ClientHello.NONE);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void overlongLengthsAreRefused(int which) throws Exception {
        byte[] body = jdkHello("turn.example.org", "acme-tls/1");
        // find the ALPN extension (type 16) and inflate one of its lengths
        int alpn = indexOf(body, new byte[] {0, 16});
        assertThat(alpn).isPositive();
        switch (which) {
            case 0 -> body[alpn + 3] = (byte) 0xff;            // extension_data length
            case 1 -> body[alpn + 5] = (byte) 0xff;            // protocol_name_list length
            case 2 -> body[alpn + 6] = (byte) 0xff;            // first name's length
            default -> body[alpn + 6] = 0;                     // an empty name (RFC 7301 forbids it)
        }
        assertThat(parse(body)).isEqualTo(ClientHello.NONE);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        // the ALPN extension type followed by a plausible length: skip false hits inside the random
        outer:
        for (int i = 34; i < haystack.length - 7; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            int extLength = ((haystack[i + 2] & 0xff) << 8) | (haystack[i + 3] & 0xff);
            int listLength = ((haystack[i + 4] & 0xff) << 8) | (haystack[i + 5] & 0xff);
            if (extLength == listLength + 2 && haystack[i + 6] == "acme-tls/1".length()) {
                return i;
            }
        }
        return -1;
    }
}
