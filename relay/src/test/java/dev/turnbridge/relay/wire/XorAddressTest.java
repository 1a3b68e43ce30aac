package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.stun.HexFixture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class XorAddressTest {
    /** RFC 5769 §2.2-2.3: header 20 bytes, SOFTWARE 16, then XOR-MAPPED-ADDRESS whose value starts at 40. */
    private static final int VALUE_INDEX = 40;
    private static final byte[] RFC5769_TID = HexFormat.of().parseHex("b7e7a701bc34d686fa87dfae");
    private static final InetSocketAddress RFC5769_V4 = new InetSocketAddress("192.0.2.1", 32853);
    private static final InetSocketAddress RFC5769_V6 =
            new InetSocketAddress("2001:db8:1234:5678:11:2233:4455:6677", 32853);

    private static ByteBuf direct(byte[] b) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(b.length).writeBytes(b);
    }

    static Stream<Arguments> rfc5769() {
        return Stream.of(
                Arguments.of("/rfc5769/sample-ipv4-response.hex", 8, RFC5769_V4),
                Arguments.of("/rfc5769/sample-ipv6-response.hex", 20, RFC5769_V6));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc5769")
    void decodesRfc5769Vectors(String fixture, int valueLength, InetSocketAddress expected) {
        ByteBuf msg = direct(HexFixture.load(fixture));
        try {
            assertThat(msg.getUnsignedShort(VALUE_INDEX - 4)).as("XOR-MAPPED-ADDRESS type").isEqualTo(0x0020);
            assertThat(msg.getUnsignedShort(VALUE_INDEX - 2)).isEqualTo(valueLength);
            assertThat(XorAddress.decode(msg, 0, VALUE_INDEX, valueLength)).isEqualTo(expected);
        } finally {
            msg.release();
        }
        assertThat(msg.refCnt()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc5769")
    void decodesRfc5769VectorsAtAnOffset(String fixture, int valueLength, InetSocketAddress expected) {
        // e.g. a stream transport buffer with a previous message in front
        byte[] b = HexFixture.load(fixture);
        ByteBuf msg = PooledByteBufAllocator.DEFAULT.directBuffer().writeZero(12).writeBytes(b);
        try {
            assertThat(XorAddress.decode(msg, 12, 12 + VALUE_INDEX, valueLength)).isEqualTo(expected);
        } finally {
            msg.release();
        }
        assertThat(msg.refCnt()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc5769")
    void writesRfc5769GoldenBytes(String fixture, int valueLength, InetSocketAddress address) {
        byte[] golden = HexFixture.load(fixture);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            out.writeBytes(golden, 0, 20); // header with the RFC's transaction ID
            assertThat(XorAddress.valueLength(address)).isEqualTo(valueLength);
            XorAddress.write(out, 0, address);
            assertThat(out.readableBytes()).isEqualTo(20 + valueLength);
            assertThat(ByteBufUtil.hexDump(out, 20, valueLength))
                    .isEqualTo(HexFormat.of().formatHex(golden, VALUE_INDEX, VALUE_INDEX + valueLength));
        } finally {
            out.release();
        }
        assertThat(out.refCnt()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "0.0.0.0, 0",
        "192.0.2.1, 32853",
        "255.255.255.255, 65535",
        "203.0.113.7, 8466", // port 0x2112: XORs to zero on the wire
        "::, 1",
        "::1, 3478",
        "2001:db8::1, 49152",
        "fe80::1, 5349",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 65535",
    })
    void roundTrip(String ip, int port) {
        InetSocketAddress address = new InetSocketAddress(ip, port);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            out.writeZero(7); // message at a non-zero index
            out.writeInt(0x00010000).writeInt(0x2112A442).writeBytes(RFC5769_TID);
            XorAddress.write(out, 7, address);
            int valueLength = XorAddress.valueLength(address);
            assertThat(out.readableBytes()).isEqualTo(7 + 20 + valueLength);
            assertThat(XorAddress.decode(out, 7, 27, valueLength)).isEqualTo(address);
        } finally {
            out.release();
        }
        assertThat(out.refCnt()).isZero();
    }

    @Test
    void ipv6DependsOnTheTransactionId() {
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            out.writeInt(0x00010000).writeInt(0x2112A442).writeBytes(RFC5769_TID);
            XorAddress.write(out, 0, RFC5769_V6);
            out.setByte(19, out.getByte(19) ^ 0xFF); // a different transaction ID, same value
            InetSocketAddress decoded = XorAddress.decode(out, 0, 20, 20);
            assertThat(decoded).isNotNull();
            assertThat(decoded.getPort()).isEqualTo(32853);
            assertThat(decoded.getAddress()).isNotEqualTo(RFC5769_V6.getAddress());
        } finally {
            out.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "too short for anything,  4,  00010000",
        "7 bytes,                 7,  0001a147e112a6",
        "IPv4 with 20 bytes,      20, 0001a147e112a643000000000000000000000000",
        "IPv6 with 8 bytes,       8,  0002a147e112a643",
        "IPv6 with 16 bytes,      16, 0002a1470113a9faa5d3f179bc25f4b5",
        "family 0,                8,  0000a147e112a643",
        "family 3,                8,  0003a147e112a643",
    })
    void malformedValuesDecodeToNull(String name, int valueLength, String valueHex) {
        byte[] value = HexFormat.of().parseHex(valueHex);
        ByteBuf msg = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            msg.writeInt(0x00010000).writeInt(0x2112A442).writeBytes(RFC5769_TID).writeBytes(value)
                    .writeZero(24); // room so that a wrong length check cannot read out of bounds
            assertThat(XorAddress.decode(msg, 0, 20, valueLength)).isNull();
        } finally {
            msg.release();
        }
        assertThat(msg.refCnt()).isZero();
    }

    @Test
    void reservedFirstByteIsIgnored() {
        // RFC 8489 §14.1: the first 8 bits are zero on send and ignored on receipt
        ByteBuf msg = PooledByteBufAllocator.DEFAULT.directBuffer();
        try {
            msg.writeInt(0x00010000).writeInt(0x2112A442).writeBytes(RFC5769_TID)
                    .writeBytes(HexFormat.of().parseHex("ff01a147e112a643"));
            assertThat(XorAddress.decode(msg, 0, 20, 8)).isEqualTo(RFC5769_V4);
        } finally {
            msg.release();
        }
        assertThat(msg.refCnt()).isZero();
    }
}
