package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.auth.Userhash;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The RFC 8489 attributes ice4j 3.2 does not know, decoded and encoded by our own code. */
class Rfc8489AttributesTest {
    private static final String USER = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final String HEADER = "2112a442000102030405060708090a0b";

    private static StunMessage decode(byte[] b) throws StunParseException {
        return StunDecoder.decode(b.clone(), b.length);
    }

    /** A Binding request with the given attribute bytes; the length field is filled in. */
    private static byte[] request(String attributesHex) {
        byte[] attrs = HexFormat.of().parseHex(attributesHex.replace(" ", ""));
        return HexFormat.of().parseHex(String.format("0001%04x", attrs.length) + HEADER + attributesHex.replace(" ", ""));
    }

    @Test
    void rfc8489SampleRequestWithSha256AndUserhash() throws Exception {
        StunMessage m = decode(HexFixture.load("/rfc8489/sample-request-long-term-sha256.hex"));
        assertThat(m.method()).isEqualTo(StunMethod.BINDING);
        assertThat(m.attributesWellFormed()).isTrue();
        assertThat(m.unknownComprehensionRequired()).isEmpty();
        assertThat(m.username()).isNull();
        assertThat(m.userhash()).isEqualTo(Userhash.of(USER, "example.org"));
        assertThat(m.nonce()).isEqualTo("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
        assertThat(m.realm()).isEqualTo("example.org");
        assertThat(m.passwordAlgorithm()).isEqualTo(PasswordAlgorithm.SHA256);
        assertThat(m.passwordAlgorithms()).isNull();
        assertThat(m.hasIntegrity()).isFalse();
        assertThat(m.integritySha256Length()).isEqualTo(32);
        assertThat(m.integrityAttributes()).isEqualTo(IntegrityAttributes.SHA256);
        byte[] key = LongTermKey.derive(USER, "example.org", "TheMatrIX", PasswordAlgorithm.SHA256);
        assertThat(MessageIntegritySha256.verify(m, key)).isTrue();
        assertThat(MessageIntegritySha256.verify(m, LongTermKey.derive(USER, "example.org", "TheMatrIX"))).isFalse();
        assertThat(MessageIntegrity.verify(m, key)).isFalse();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "bad_integrity_sha256_length, 001c0000",
        "bad_integrity_sha256_length, 001c000c 000000000000000000000000",
        "bad_integrity_sha256_length, 001c0012 000000000000000000000000000000000000 0000",
        "bad_integrity_sha256_length, 001c0024 000000000000000000000000000000000000000000000000000000000000000000000000",
        "bad_integrity_sha256_length, 00080014 0000000000000000000000000000000000000000 001c0004 00000000",
        "truncated_attribute, 001c0020 00000000000000000000000000000000",
    })
    void malformedIntegritySha256IsDropped(String reason, String attributes) {
        assertThatThrownBy(() -> decode(request(attributes)))
                .isInstanceOf(StunParseException.class).hasMessage(reason);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "password-algorithm too short, 001d0002 00020000",
        "password-algorithm parameters overflow, 001d0004 00020004",
        "password-algorithms empty, 80020000",
        "password-algorithms entry cut short, 80020006 00020000 0001 0000",
        "password-algorithms parameters overflow, 80020004 00010008",
        "userhash not 32 bytes, 001e0010 00000000000000000000000000000000",
    })
    void malformedCredentialAttributesMakeA400(String name, String attributes) throws Exception {
        StunMessage m = decode(request(attributes));
        assertThat(m.attributesWellFormed()).as(name).isFalse();
        assertThat(m.unknownComprehensionRequired()).as(name).isEmpty();
    }

    @Test
    void passwordAlgorithmsKeepsTheValueAsSentForTheEchoCheck() throws Exception {
        StunMessage m = decode(request("80020010 00020000 00010000 7777000300ab0000"));
        assertThat(m.attributesWellFormed()).isTrue();
        assertThat(m.passwordAlgorithms()).isEqualTo(HexFormat.of().parseHex("00020000000100007777000300ab0000"));
        assertThat(m.passwordAlgorithm()).isEqualTo(-1);
    }

    @Test
    void sha256AfterSha1CountsButWhatLiesBetweenIsIgnored() throws Exception {
        // LIFETIME after MESSAGE-INTEGRITY is ignored even though MESSAGE-INTEGRITY-SHA256 covers it
        StunMessageBuilder r = StunMessageBuilder.of(StunMethod.REFRESH, StunClass.REQUEST, new byte[12]);
        r.lifetime(600);
        byte[] signed = r.encode("", KEY, IntegrityAttributes.SHA1);
        int mi = signed.length - 8 - 24;
        byte[] b = new byte[mi + 24 + 8 + 36];
        System.arraycopy(signed, 0, b, 0, mi + 24);
        System.arraycopy(HexFormat.of().parseHex("000d000400000001"), 0, b, mi + 24, 8);
        int sha = mi + 24 + 8;
        setLength(b, sha + 36);
        byte[] mac = MessageIntegritySha256.compute(b, sha, 32, KEY);
        System.arraycopy(HexFormat.of().parseHex("001c0020"), 0, b, sha, 4);
        System.arraycopy(mac, 0, b, sha + 4, 32);
        StunMessage m = decode(b);
        assertThat(m.lifetime()).isEqualTo(600);
        assertThat(m.integrityAttributes()).isEqualTo(IntegrityAttributes.BOTH);
        assertThat(MessageIntegrity.verify(m, KEY)).isTrue();
        assertThat(MessageIntegritySha256.verify(m, KEY)).isTrue();
    }

    @Test
    void everythingAfterSha256ButFingerprintIsIgnored() throws Exception {
        StunMessageBuilder r = StunMessageBuilder.of(StunMethod.REFRESH, StunClass.REQUEST, new byte[12]);
        r.lifetime(600);
        byte[] signed = r.encode("", KEY, IntegrityAttributes.SHA256);
        int end = signed.length - 8; // drop FINGERPRINT
        // then LIFETIME, MESSAGE-INTEGRITY, an unknown comprehension-required attribute and USERHASH of
        // the wrong length: none of them counts
        String tail = "000d000400000001" + "00080014" + "00".repeat(20) + "7777000400000000"
                + "001e000400000000";
        byte[] t = HexFormat.of().parseHex(tail);
        byte[] b = new byte[end + t.length];
        System.arraycopy(signed, 0, b, 0, end);
        System.arraycopy(t, 0, b, end, t.length);
        setLength(b, b.length);
        StunMessage m = decode(b);
        assertThat(m.lifetime()).isEqualTo(600);
        assertThat(m.hasIntegrity()).isFalse();
        assertThat(m.unknownComprehensionRequired()).isEmpty();
        assertThat(m.attributesWellFormed()).isTrue();
        assertThat(m.userhash()).isNull();
        assertThat(MessageIntegritySha256.verify(m, KEY)).isTrue();
    }

    @Test
    void truncatedSha256VerifiesOverItsOwnLength() throws Exception {
        byte[] b = StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST, new byte[12])
                .encode("", KEY, new IntegrityAttributes(false, 16));
        StunMessage m = decode(b);
        assertThat(m.integritySha256Length()).isEqualTo(16);
        assertThat(MessageIntegritySha256.verify(m, KEY)).isTrue();
        assertThat(MessageIntegritySha256.verify(m, "other".getBytes(StandardCharsets.US_ASCII))).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // request's attributes,  response MI, response MI-SHA256 length
        "true, 0, true, 0",
        "false, 32, false, 32",
        "true, 32, true, 32",
        "false, 16, false, 32",
    })
    void responsesCarryTheRequestsIntegrityAttributes(boolean sha1, int sha256Length, boolean wantSha1,
            int wantSha256Length) throws Exception {
        byte[] req = StunMessageBuilder.of(StunMethod.REFRESH, StunClass.REQUEST, new byte[12])
                .encode("", KEY, new IntegrityAttributes(sha1, sha256Length));
        byte[] resp = StunMessageBuilder.success(decode(req)).lifetime(600).encode("sw", KEY);
        StunMessage m = decode(resp);
        assertThat(m.integrityAttributes()).isEqualTo(new IntegrityAttributes(wantSha1, wantSha256Length));
        assertThat(!wantSha1 || MessageIntegrity.verify(m, KEY)).isTrue();
        assertThat(wantSha256Length == 0 || MessageIntegritySha256.verify(m, KEY)).isTrue();
        assertThat(m.lifetime()).isEqualTo(600);
    }

    @Test
    void rebuildsTheRfc8489Vector() throws Exception {
        byte[] vector = HexFixture.load("/rfc8489/sample-request-long-term-sha256.hex");
        byte[] key = LongTermKey.derive(USER, "example.org", "TheMatrIX", PasswordAlgorithm.SHA256);
        byte[] ours = StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST,
                        HexFormat.of().parseHex("78ad3433c6ad72c029da412e"))
                .userhash(Userhash.of(USER, "example.org"))
                .nonce("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")
                .realm("example.org")
                .passwordAlgorithm(PasswordAlgorithm.SHA256)
                .encode("", key, IntegrityAttributes.SHA256);
        // ours ends with FINGERPRINT, the vector does not
        assertThat(java.util.Arrays.copyOfRange(ours, 4, vector.length)).isEqualTo(
                java.util.Arrays.copyOfRange(vector, 4, vector.length));
    }

    private static void setLength(byte[] b, int total) {
        int len = total - 20;
        b[2] = (byte) (len >> 8);
        b[3] = (byte) len;
    }
}
