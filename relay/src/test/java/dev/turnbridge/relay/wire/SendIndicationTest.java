package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.stun.Fingerprint;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Send indications as the data path reads them. Rejection cases start from a message that parses and break
 * exactly one rule, so each case proves the rule it names.
 */
class SendIndicationTest {
    private static final byte[] TID = HexFormat.of().parseHex("0102030405060708090a0b0c");
    private static final InetSocketAddress PEER_V4 = new InetSocketAddress("192.0.2.1", 32853);
    private static final InetSocketAddress PEER_V6 =
            new InetSocketAddress("2001:db8:1234:5678:11:2233:4455:6677", 32853);
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPTIONAL_UNKNOWN = new byte[] {1, 2, 3, 4};

    private static StunMessageBuilder send() {
        return StunMessageBuilder.of(StunMethod.SEND, StunClass.INDICATION, TID);
    }

    /** IPv4 peer, DATA "hello" (5 bytes, 3 of padding), FINGERPRINT: 20 + 12 + 12 + 8 = 52 bytes. */
    private static byte[] valid() {
        return send().xorPeerAddress(PEER_V4).data(HELLO).encode("", null);
    }

    /** {@link #valid()} without its FINGERPRINT (which is optional): 44 bytes, length field 24. */
    private static byte[] validWithoutFingerprint() {
        return dropFingerprint(valid());
    }

    private static byte[] dropFingerprint(byte[] b) {
        byte[] out = Arrays.copyOf(b, b.length - 8);
        setLength(out, out.length - 20);
        return out;
    }

    private static void setLength(byte[] b, int length) {
        b[2] = (byte) (length >>> 8);
        b[3] = (byte) length;
    }

    /** Appends a correct FINGERPRINT to a message without one. */
    private static byte[] addFingerprint(byte[] b) {
        byte[] out = Arrays.copyOf(b, b.length + 8);
        setLength(out, out.length - 20);
        int crc = Fingerprint.compute(out, b.length);
        byte[] attr = {(byte) 0x80, 0x28, 0, 4, (byte) (crc >>> 24), (byte) (crc >>> 16), (byte) (crc >>> 8),
            (byte) crc};
        System.arraycopy(attr, 0, out, b.length, 8);
        return out;
    }

    private static ByteBuf direct(byte[] b) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b);
    }

    private static boolean parse(SendIndication send, byte[] b) {
        ByteBuf buf = direct(b);
        try {
            return send.parse(buf);
        } finally {
            buf.release();
            assertThat(buf.refCnt()).isZero();
        }
    }

    @Test
    void parsesIpv4PeerAndLocatesData() {
        byte[] b = valid();
        assertThat(b).hasSize(52);
        ByteBuf buf = direct(b);
        try {
            assertThat(SendIndication.is(buf)).isTrue();
            SendIndication send = new SendIndication();
            assertThat(send.parse(buf)).isTrue();
            assertThat(send.peer()).isEqualTo(PEER_V4);
            assertThat(send.dataIndex()).isEqualTo(20 + 12 + 4);
            assertThat(send.dataLength()).isEqualTo(5);
            assertThat(buf.toString(send.dataIndex(), send.dataLength(), StandardCharsets.US_ASCII))
                    .isEqualTo("hello");
            assertThat(buf.readerIndex()).as("parse does not consume").isZero();
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @Test
    void parsesIpv6PeerAtNonZeroReaderIndex() {
        // IPv6 XOR uses the transaction ID, so the message start must be taken from the reader index
        byte[] msg = send().xorPeerAddress(PEER_V6).data(HELLO).encode("", null);
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(new byte[] {9, 9, 9, 9})
                .writeBytes(msg);
        try {
            buf.skipBytes(4);
            assertThat(SendIndication.is(buf)).isTrue();
            SendIndication send = new SendIndication();
            assertThat(send.parse(buf)).isTrue();
            assertThat(send.peer()).isEqualTo(PEER_V6);
            assertThat(send.dataIndex()).isEqualTo(4 + 20 + 24 + 4);
            assertThat(send.dataLength()).isEqualTo(5);
            assertThat(buf.toString(send.dataIndex(), 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @ParameterizedTest(name = "DATA of {0} bytes")
    @CsvSource({"0", "1", "3", "4", "5", "1200"})
    void dataLengthIsExactWhateverThePadding(int length) {
        byte[] payload = new byte[length];
        Arrays.fill(payload, (byte) 0x5A);
        byte[] b = send().xorPeerAddress(PEER_V4).data(payload).encode("", null);
        SendIndication send = new SendIndication();
        assertThat(parse(send, b)).isTrue();
        assertThat(send.dataIndex()).isEqualTo(36);
        assertThat(send.dataLength()).isEqualTo(length);
    }

    @Test
    void validWithoutFingerprintParses() {
        assertThat(parse(new SendIndication(), validWithoutFingerprint())).isTrue();
        assertThat(parse(new SendIndication(), addFingerprint(validWithoutFingerprint()))).isTrue();
    }

    @Test
    void optionalUnknownAndUnderstoodAttributesAreAccepted() {
        byte[] b = send().add(0xC001, OPTIONAL_UNKNOWN) // comprehension-optional, unknown: ignored
                .add(0x001A, new byte[0]) // DONT-FRAGMENT: comprehension-required, understood
                .xorPeerAddress(PEER_V4).data(HELLO).encode("software", null);
        SendIndication send = new SendIndication();
        assertThat(parse(send, b)).isTrue();
        assertThat(send.peer()).isEqualTo(PEER_V4);
        assertThat(send.dataLength()).isEqualTo(5);
    }

    @Test
    void firstPeerAndFirstDataWin() {
        byte[] b = send().xorPeerAddress(PEER_V4).data(HELLO).xorPeerAddress(PEER_V6)
                .data(new byte[] {1, 2}).encode("", null);
        SendIndication send = new SendIndication();
        assertThat(parse(send, b)).isTrue();
        assertThat(send.peer()).isEqualTo(PEER_V4);
        assertThat(send.dataIndex()).isEqualTo(36);
        assertThat(send.dataLength()).isEqualTo(5);
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                // framing, on the 44-byte message without FINGERPRINT (length field 24)
                broken("bad magic cookie", validWithoutFingerprint(), b -> flip(b, 4)),
                broken("length beyond the buffer", validWithoutFingerprint(), b -> length(b, 28)),
                broken("length beyond the buffer by one", validWithoutFingerprint(), b -> length(b, 25)),
                broken("length not a multiple of 4", validWithoutFingerprint(), b -> length(b, 22)),
                broken("DATA runs past the message", validWithoutFingerprint(), b -> set(b, 35, 9)),
                broken("XOR-PEER-ADDRESS runs past the message", validWithoutFingerprint(),
                        b -> set(b, 23, 40)),
                broken("message ends inside DATA's padding", validWithoutFingerprint(), b -> length(b, 20)),
                // missing attributes
                broken("no XOR-PEER-ADDRESS", send().data(HELLO).encode("", null), b -> b),
                broken("no DATA", send().xorPeerAddress(PEER_V4).encode("", null), b -> b),
                broken("XOR-PEER-ADDRESS hidden as optional 0x8012", validWithoutFingerprint(),
                        b -> set(b, 20, 0x80)),
                broken("empty body", send().encode("", null), b -> b),
                // malformed XOR-PEER-ADDRESS
                broken("family 0", validWithoutFingerprint(), b -> set(b, 25, 0)),
                broken("family 3", validWithoutFingerprint(), b -> set(b, 25, 3)),
                broken("IPv4 family with a 20-byte value",
                        send().add(0x0012, value(1, 20)).data(HELLO).encode("", null), b -> b),
                broken("IPv6 family with an 8-byte value",
                        send().add(0x0012, value(2, 8)).data(HELLO).encode("", null), b -> b),
                broken("4-byte value", send().add(0x0012, value(1, 4)).data(HELLO).encode("", null), b -> b),
                broken("empty value", send().add(0x0012, new byte[0]).data(HELLO).encode("", null), b -> b),
                // FINGERPRINT
                broken("wrong FINGERPRINT", valid(), b -> flip(b, b.length - 1)),
                broken("body changed under FINGERPRINT", valid(), b -> flip(b, 37)),
                broken("FINGERPRINT not last", valid(), SendIndicationTest::appendAfterFingerprint),
                broken("FINGERPRINT of 8 bytes", send().xorPeerAddress(PEER_V4).data(HELLO)
                        .encode("", null), b -> b).withFingerprintLength8(),
                // comprehension-required attribute this server does not understand
                broken("unknown 0x7777", send().xorPeerAddress(PEER_V4).add(0x7777, OPTIONAL_UNKNOWN)
                        .data(HELLO).encode("", null), b -> b),
                broken("unknown 0x0003 (CHANGE-REQUEST)", send().add(0x0003, new byte[4])
                        .xorPeerAddress(PEER_V4).data(HELLO).encode("", null), b -> b))
                .map(Case::arguments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejected(String name, byte[] b) {
        SendIndication send = new SendIndication();
        assertThat(parse(send, b)).isFalse();
    }

    @Test
    void failedParseForgetsThePreviousResult() {
        SendIndication send = new SendIndication();
        assertThat(parse(send, valid())).isTrue();
        byte[] noData = send().xorPeerAddress(PEER_V6).encode("", null);
        assertThat(parse(send, noData)).isFalse();
        assertThat(send.dataIndex()).isEqualTo(-1);
        byte[] noPeer = send().data(HELLO).encode("", null);
        assertThat(parse(send, noPeer)).isFalse();
        assertThat(send.peer()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "too short,      00160000 2112a442 0000000000000000000000",
        "Send request,   00060000 2112a442 000000000000000000000000",
        "Data indication, 00170000 2112a442 000000000000000000000000",
        "Binding request, 00010000 2112a442 000000000000000000000000",
    })
    void isRecognisesOnlyWholeSendIndicationHeaders(String name, String hex) {
        ByteBuf buf = direct(HexFormat.of().parseHex(hex.replace(" ", "")));
        try {
            assertThat(SendIndication.is(buf)).isFalse();
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    // --- case construction

    private record Case(String name, byte[] bytes) {
        Arguments arguments() {
            return Arguments.of(name, bytes);
        }

        /** Replaces the trailing attribute area by one whose FINGERPRINT announces 8 bytes (correct CRC). */
        Case withFingerprintLength8() {
            byte[] out = Arrays.copyOf(bytes, bytes.length + 4);
            int at = bytes.length - 8;
            setLength(out, out.length - 20);
            out[at + 3] = 8;
            int crc = Fingerprint.compute(out, at);
            out[at + 4] = (byte) (crc >>> 24);
            out[at + 5] = (byte) (crc >>> 16);
            out[at + 6] = (byte) (crc >>> 8);
            out[at + 7] = (byte) crc;
            return new Case(name, out);
        }
    }

    private static Case broken(String name, byte[] start, UnaryOperator<byte[]> corrupt) {
        return new Case(name, corrupt.apply(start.clone()));
    }

    private static byte[] flip(byte[] b, int index) {
        b[index] ^= 0x01;
        return b;
    }

    private static byte[] set(byte[] b, int index, int value) {
        b[index] = (byte) value;
        return b;
    }

    private static byte[] length(byte[] b, int length) {
        setLength(b, length);
        return b;
    }

    /** An address value of {@code length} bytes with the given family byte. */
    private static byte[] value(int family, int length) {
        byte[] v = new byte[length];
        if (length > 1) {
            v[1] = (byte) family;
        }
        return v;
    }

    /** Adds a SOFTWARE attribute after a correct FINGERPRINT (length field updated; CRC left as it was). */
    private static byte[] appendAfterFingerprint(byte[] b) {
        byte[] out = Arrays.copyOf(b, b.length + 8);
        byte[] software = {(byte) 0x80, 0x22, 0, 4, 'a', 'b', 'c', 'd'};
        System.arraycopy(software, 0, out, b.length, 8);
        setLength(out, out.length - 20);
        // re-sign the prefix so that only the position of FINGERPRINT is wrong
        int at = b.length - 8;
        int crc = Fingerprint.compute(out, at);
        out[at + 4] = (byte) (crc >>> 24);
        out[at + 5] = (byte) (crc >>> 16);
        out[at + 6] = (byte) (crc >>> 8);
        out[at + 7] = (byte) crc;
        return out;
    }
}
