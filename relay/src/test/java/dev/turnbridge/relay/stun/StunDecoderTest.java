package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.relay.auth.LongTermKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class StunDecoderTest {
    private static final byte[] SHORT_TERM_KEY = "VOkJxbRl1RmTxUk/WvJxBt".getBytes(StandardCharsets.UTF_8);

    private static StunMessage decode(byte[] b) throws StunParseException {
        return StunDecoder.decode(b.clone(), b.length);
    }

    @Test
    void rfc5769SampleRequest() throws Exception {
        StunMessage m = decode(HexFixture.load("/rfc5769/sample-request.hex"));
        assertThat(m.method()).isEqualTo(StunMethod.BINDING);
        assertThat(m.messageClass()).isEqualTo(StunClass.REQUEST);
        assertThat(m.username()).isEqualTo("evtj:h6vY");
        assertThat(m.transactionId()).isEqualTo(HexFormat.of().parseHex("b7e7a701bc34d686fa87dfae"));
        assertThat(MessageIntegrity.verify(m, SHORT_TERM_KEY)).isTrue();
        assertThat(MessageIntegrity.verify(m, "wrong".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(m.unknownComprehensionRequired()).isEmpty();
    }

    @Test
    void rfc5769Responses() throws Exception {
        for (String name : new String[] {"sample-ipv4-response", "sample-ipv6-response"}) {
            StunMessage m = decode(HexFixture.load("/rfc5769/" + name + ".hex"));
            assertThat(m.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
            assertThat(MessageIntegrity.verify(m, SHORT_TERM_KEY)).as(name).isTrue();
        }
    }

    @Test
    void rfc5769LongTermRequest() throws Exception {
        StunMessage m = decode(HexFixture.load("/rfc5769/sample-request-long-term.hex"));
        assertThat(m.username()).isEqualTo("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9");
        assertThat(m.realm()).isEqualTo("example.org");
        assertThat(m.nonce()).isEqualTo("f//499k954d6OL34oL9FSTvy64sA");
        byte[] key = LongTermKey.derive(m.username(), m.realm(), "TheMatrIX");
        assertThat(MessageIntegrity.verify(m, key)).isTrue();
    }

    @Test
    void corruptedFingerprintIsRejected() {
        byte[] b = HexFixture.load("/rfc5769/sample-request.hex");
        b[b.length - 1] ^= 1;
        assertThatThrownBy(() -> decode(b)).isInstanceOf(StunParseException.class).hasMessage("bad_fingerprint");
    }

    @Test
    void tamperedBodyFailsIntegrityButFingerprintCatchesItFirst() {
        byte[] b = HexFixture.load("/rfc5769/sample-request.hex");
        b[30] ^= 1; // inside SOFTWARE
        assertThatThrownBy(() -> decode(b)).hasMessage("bad_fingerprint");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "short_header, 0001000021",
        "not_stun, 4001000021 12a442000000000000000000000000",
        "no_magic_cookie, 0001000000000000000000000000000000000000",
        "bad_length, 000100042112a442000000000000000000000000",
        "bad_length, 000100022112a4420000000000000000000000000000",
        "truncated_attribute, 000100042112a442000000000000000000000000 00060008",
        "fingerprint_not_last, 000100102112a442000000000000000000000000 80280004000000000006000100000000",
        "bad_integrity_length, 000100082112a442000000000000000000000000 0008000400000000",
    })
    void malformedFramingIsRejectedWithReason(String reason, String hex) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        assertThatThrownBy(() -> decode(b)).isInstanceOf(StunParseException.class).hasMessage(reason);
    }

    @Test
    void unknownComprehensionRequiredAttributesAreListed() throws Exception {
        // Binding request with 0x7777 (unknown, required) and 0xC001 (unknown, optional)
        byte[] b = HexFormat.of().parseHex("000100102112a442000102030405060708090a0b"
                + "7777000400000000" + "c001000400000000");
        StunMessage m = decode(b);
        assertThat(m.unknownComprehensionRequired()).containsExactly(0x7777);
    }

    @Test
    void repeatedPeerAddressesAreAllKept() throws Exception {
        StunMessageBuilder r = StunMessageBuilder.of(StunMethod.CREATE_PERMISSION, StunClass.REQUEST,
                HexFormat.of().parseHex("000102030405060708090a0b"));
        r.xorPeerAddress(new java.net.InetSocketAddress("192.0.2.1", 1000));
        r.xorPeerAddress(new java.net.InetSocketAddress("2001:db8::1", 2000));
        byte[] b = r.encode("", null);
        StunMessage m = decode(b);
        assertThat(m.peerAddresses()).extracting(Object::toString)
                .containsExactly("/192.0.2.1:1000", "/[2001:db8:0:0:0:0:0:1]:2000");
    }

    @Test
    void attributesAfterIntegrityAreIgnored() throws Exception {
        StunMessageBuilder r = StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST, new byte[12]);
        byte[] signed = r.encode("", SHORT_TERM_KEY);
        // drop FINGERPRINT, append an unknown comprehension-required attribute after MESSAGE-INTEGRITY
        byte[] b = Arrays.copyOf(signed, signed.length - 8 + 8);
        System.arraycopy(HexFormat.of().parseHex("7777000400000000"), 0, b, signed.length - 8, 8);
        m(b);
        StunMessage m = decode(b);
        assertThat(m.unknownComprehensionRequired()).isEmpty();
        assertThat(MessageIntegrity.verify(m, SHORT_TERM_KEY)).isTrue();
    }

    private static void m(byte[] b) {
        int len = b.length - 20;
        b[2] = (byte) (len >> 8);
        b[3] = (byte) len;
    }

    @ParameterizedTest(name = "{0} bytes")
    @CsvSource({"4, true", "3, false", "8, false", "0, false"})
    void connectionIdIsReadHereAndHasFourBytes(int length, boolean wellFormed) throws Exception {
        byte[] value = new byte[length];
        Arrays.fill(value, (byte) 0xFE);
        byte[] b = StunMessageBuilder.of(StunMethod.CONNECTION_BIND, StunClass.REQUEST, new byte[12])
                .add(AttributeType.CONNECTION_ID, value).encode("", null);

        StunMessage m = StunDecoder.decode(b, b.length);

        assertThat(m.attributesWellFormed()).isEqualTo(wellFormed);
        assertThat(m.unknownComprehensionRequired()).isEmpty();
        assertThat(m.connectionId()).isEqualTo(wellFormed ? 0xFEFEFEFEL : -1);
    }

    @Test
    void connectionIdRoundTrips() throws Exception {
        byte[] b = StunMessageBuilder.of(StunMethod.CONNECT, StunClass.SUCCESS_RESPONSE, new byte[12])
                .connectionId(0x80000001L).encode("", null);

        assertThat(StunDecoder.decode(b, b.length).connectionId()).isEqualTo(0x80000001L);
    }

    @Test
    void decodingNeverRewritesTheReceivedBytes() throws Exception {
        // every attribute kind: ours (XOR-PEER-ADDRESS, EVEN-PORT, REQUESTED-ADDRESS-FAMILY, USERHASH), ice4j's
        // (USERNAME, LIFETIME), one after MESSAGE-INTEGRITY (ignored), and FINGERPRINT
        byte[] b = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, new byte[12])
                .xorPeerAddress(new java.net.InetSocketAddress("192.0.2.1", 5000))
                .add(AttributeType.EVEN_PORT, new byte[] {(byte) 0x80})
                .add(AttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {1, 0, 0, 0})
                .userhash(new byte[32])
                .username("alice").lifetime(600)
                .encode("", "key".getBytes(StandardCharsets.UTF_8));
        byte[] received = b.clone();

        StunMessage m = StunDecoder.decode(b, b.length);

        assertThat(b).isEqualTo(received);
        assertThat(m.attributesWellFormed()).isTrue();
        assertThat(m.peerAddresses()).hasSize(1);
        assertThat(m.evenPortReserveNext()).isTrue();
        assertThat(m.requestedAddressFamily()).isEqualTo(1);
        assertThat(m.userhash()).hasSize(32);
        assertThat(m.username()).isEqualTo("alice");
        assertThat(m.lifetime()).isEqualTo(600);
        // what we read ourselves is not also visible as ice4j's attribute
        assertThat(m.has(AttributeType.XOR_PEER_ADDRESS)).isFalse();
        assertThat(m.has(AttributeType.LIFETIME)).isTrue();
    }

    @Test
    void oneValueIce4jCannotDecodeMakesTheMessageMalformedAndDropsIce4jValues() throws Exception {
        byte[] b = StunMessageBuilder.of(StunMethod.REFRESH, StunClass.REQUEST, new byte[12])
                .username("alice")
                .add(AttributeType.LIFETIME, new byte[] {0, 0, 2}) // LIFETIME has four bytes
                .add(AttributeType.REQUESTED_ADDRESS_FAMILY, new byte[] {2, 0, 0, 0})
                .encode("", null);

        StunMessage m = StunDecoder.decode(b, b.length);

        assertThat(m.attributesWellFormed()).isFalse(); // 400
        assertThat(m.username()).isNull();
        assertThat(m.lifetime()).isEqualTo(-1);
        assertThat(m.requestedAddressFamily()).isEqualTo(2); // ours still read
    }
}
