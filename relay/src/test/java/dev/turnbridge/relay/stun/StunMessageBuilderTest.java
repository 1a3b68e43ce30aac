package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class StunMessageBuilderTest {
    private static final byte[] KEY = "VOkJxbRl1RmTxUk/WvJxBt".getBytes(StandardCharsets.UTF_8);

    @Test
    void reproducesRfc5769Ipv4ResponseUpToSoftwarePadding() throws Exception {
        byte[] vector = HexFixture.load("/rfc5769/sample-ipv4-response.hex");
        StunMessage request = StunDecoder.decode(HexFixture.load("/rfc5769/sample-request.hex"), 108);
        byte[] ours = StunMessageBuilder.success(request)
                .xorMappedAddress(new InetSocketAddress("192.0.2.1", 32853))
                .encode("test vector", KEY);
        // our SOFTWARE comes after the other attributes and pads with zeros; the vector pads with a space
        // and puts SOFTWARE first. Same length, and the XOR-MAPPED-ADDRESS bytes are identical.
        assertThat(ours).hasSize(vector.length);
        assertThat(Arrays.copyOfRange(ours, 20, 32)).isEqualTo(Arrays.copyOfRange(vector, 36, 48));
        StunMessage decoded = StunDecoder.decode(ours, ours.length);
        assertThat(MessageIntegrity.verify(decoded, KEY)).isTrue();
        assertThat(decoded.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
    }

    @Test
    void ipv6XorMappedAddressMatchesRfc5769() throws Exception {
        byte[] vector = HexFixture.load("/rfc5769/sample-ipv6-response.hex");
        StunMessage request = StunDecoder.decode(HexFixture.load("/rfc5769/sample-request.hex"), 108);
        byte[] ours = StunMessageBuilder.success(request)
                .xorMappedAddress(new InetSocketAddress("2001:db8:1234:5678:11:2233:4455:6677", 32853))
                .encode("", null);
        assertThat(Arrays.copyOfRange(ours, 20, 44)).isEqualTo(Arrays.copyOfRange(vector, 36, 60));
    }

    @Test
    void errorResponseCarriesCodeReasonAndTypeBits() throws Exception {
        StunMessage request = StunDecoder.decode(HexFixture.load("/rfc5769/sample-request.hex"), 108);
        byte[] b = StunMessageBuilder.error(request, ErrorCode.STALE_NONCE).realm("r").nonce("n").encode("", null);
        assertThat(HexFormat.of().formatHex(b, 0, 2)).isEqualTo("0111");
        // ERROR-CODE: class 4, number 38, reason phrase
        assertThat(HexFormat.of().formatHex(b, 20, 28)).isEqualTo("0009000f" + "00000426");
        assertThat(new String(b, 28, 11, StandardCharsets.US_ASCII)).isEqualTo("Stale Nonce");
        StunDecoder.decode(b, b.length); // well-formed, fingerprint valid
    }

    @Test
    void textAttributesArePaddedToFourBytesWhateverTheirLength() throws Exception {
        StunMessage request = StunDecoder.decode(HexFixture.load("/rfc5769/sample-request.hex"), 108);
        for (String realm : new String[] {"a", "ab", "abc", "abcd", "example.org"}) {
            byte[] b = StunMessageBuilder.error(request, ErrorCode.UNAUTHENTICATED).realm(realm).nonce(realm)
                    .encode("", null);
            int realmAt = 20 + 4 + 16 + 4; // after ERROR-CODE "Unauthenticated" (4 + 15, padded)
            int padded = (realm.length() + 3) & ~3;
            assertThat(HexFormat.of().formatHex(b, realmAt, realmAt + 2)).as(realm).isEqualTo("0014");
            // NONCE follows right after the padded REALM, FINGERPRINT right after the padded NONCE
            assertThat(HexFormat.of().formatHex(b, realmAt + 4 + padded, realmAt + 6 + padded)).as(realm)
                    .isEqualTo("0015");
            assertThat(b).as(realm).hasSize(realmAt + 2 * (4 + padded) + 8);
            assertThat(StunDecoder.decode(b, b.length).realm()).isEqualTo(realm);
        }
    }

    @Test
    void messageTypesInterleaveMethodAndClass() {
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.REQUEST)).isEqualTo(0x0003);
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.SUCCESS_RESPONSE)).isEqualTo(0x0103);
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.ERROR_RESPONSE)).isEqualTo(0x0113);
        assertThat(StunMethod.type(StunMethod.DATA, StunClass.INDICATION)).isEqualTo(0x0017);
        assertThat(StunMethod.type(StunMethod.CHANNEL_BIND, StunClass.SUCCESS_RESPONSE)).isEqualTo(0x0109);
        assertThat(StunMethod.ofType(0x0113)).isEqualTo(StunMethod.ALLOCATE);
        assertThat(StunClass.ofType(0x0016)).isEqualTo(StunClass.INDICATION);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 4, 5, 13, 14, 15, 16})
    void textAttributesArePaddedToFourBytesWhateverTheirLength(int length) throws Exception {
        String realm = "r".repeat(length);
        byte[] b = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, new byte[12])
                .realm(realm).nonce(realm).username(realm).encode(realm, null);
        assertThat((b.length - 20) % 4).isZero();
        StunMessage m = StunDecoder.decode(b, b.length);
        assertThat(m.realm()).isEqualTo(realm);
        assertThat(m.nonce()).isEqualTo(realm);
        assertThat(m.username()).isEqualTo(realm);
        assertThat(m.unknownComprehensionRequired()).isEmpty();
    }
}
