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
    void messageTypesInterleaveMethodAndClass() {
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.REQUEST)).isEqualTo(0x0003);
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.SUCCESS_RESPONSE)).isEqualTo(0x0103);
        assertThat(StunMethod.type(StunMethod.ALLOCATE, StunClass.ERROR_RESPONSE)).isEqualTo(0x0113);
        assertThat(StunMethod.type(StunMethod.DATA, StunClass.INDICATION)).isEqualTo(0x0017);
        assertThat(StunMethod.type(StunMethod.CHANNEL_BIND, StunClass.SUCCESS_RESPONSE)).isEqualTo(0x0109);
        assertThat(StunMethod.ofType(0x0113)).isEqualTo(StunMethod.ALLOCATE);
        assertThat(StunClass.ofType(0x0016)).isEqualTo(StunClass.INDICATION);
    }
}
