package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChannelDataTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private static ByteBuf buffer(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
        return ALLOC.directBuffer(bytes.length).writeBytes(bytes);
    }

    @ParameterizedTest(name = "0x{0} -> {1}")
    @CsvSource({
        "00, false",
        "03, false", // STUN
        "3F, false",
        "40, true", // first RFC 8656 channel
        "4F, true", // last RFC 8656 channel
        "50, true", // RFC 5766 range, still accepted
        "7F, true",
        "80, false", // RTP/RTCP
        "BF, false",
        "FF, false",
    })
    void firstByteDemultiplexing(String firstByte, boolean expected) {
        assertThat(ChannelData.isChannelData(Integer.parseInt(firstByte, 16))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource({
        "'', -1",                             // nothing at all
        "40, -1",                             // one byte of header
        "400000, -1",                         // three bytes of header
        "40000000, 0",                        // empty payload
        "40000001, -1",                       // announces 1, carries 0
        "4000 0001 aa, 1",
        "4000 0001 aa000000, 1",              // UDP padding after the data is accepted
        "4000 0001 aabbccddeeff, 1",          // and so is more than padding (stream framing reads on)
        "4000 0004 aabbccdd, 4",
        "4000 0005 aabbccdd, -1",             // one byte short
        "4000 0005 aabbccddee, 5",
        "4fff ffff aabbccdd, -1",             // maximum length, far beyond the buffer
    })
    void dataLength(String hex, int expected) {
        ByteBuf buf = buffer(hex);
        try {
            assertThat(ChannelData.dataLength(buf)).isEqualTo(expected);
            assertThat(buf.readerIndex()).isZero();
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @Test
    void readsHeaderAtReaderIndexNotAtZero() {
        // two bytes of something else in front (e.g. an already consumed frame)
        ByteBuf buf = buffer("ffff 4001 0002 aabb");
        try {
            buf.skipBytes(2);
            assertThat(ChannelData.channelNumber(buf)).isEqualTo(0x4001);
            assertThat(ChannelData.dataLength(buf)).isEqualTo(2);
            buf.writerIndex(buf.writerIndex() - 1);
            assertThat(ChannelData.dataLength(buf)).isEqualTo(-1);
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @ParameterizedTest(name = "length {0}, padded {1}")
    @CsvSource({
        "0, false, 40010000",
        "0, true,  40010000",
        "1, false, 40010001 11",
        "1, true,  40010001 11000000",
        "2, false, 40010002 1122",
        "2, true,  40010002 11220000",
        "3, false, 40010003 112233",
        "3, true,  40010003 11223300",
        "4, false, 40010004 11223344",
        "4, true,  40010004 11223344",
        "5, false, 40010005 1122334455",
        "5, true,  40010005 11223344 55000000",
    })
    void encodeExactBytes(int length, boolean padded, String expected) {
        // the payload sits at index 3 of a larger buffer: only [index, index+length) may be framed
        ByteBuf data = buffer("eeeeee 1122334455 eeee");
        ByteBuf out = ChannelData.encode(ALLOC, 0x4001, data, 3, length, padded);
        try {
            assertThat(ByteBufUtil.hexDump(out)).isEqualTo(expected.replace(" ", ""));
            assertThat(ChannelData.dataLength(out)).isEqualTo(length);
            // the source is neither consumed nor released by encode
            assertThat(data.readerIndex()).isZero();
            assertThat(data.refCnt()).isEqualTo(1);
        } finally {
            out.release();
            data.release();
        }
        assertThat(out.refCnt()).isZero();
        assertThat(data.refCnt()).isZero();
    }

    @Test
    void encodeCarriesTheChannelNumberAsGiven() {
        ByteBuf data = buffer("");
        ByteBuf out = ChannelData.encode(ALLOC, 0x4FFF, data, 0, 0, true);
        try {
            assertThat(ChannelData.isChannelData(out.getUnsignedByte(0))).isTrue();
            assertThat(ChannelData.channelNumber(out)).isEqualTo(0x4FFF);
        } finally {
            out.release();
            data.release();
        }
        assertThat(out.refCnt()).isZero();
    }
}
