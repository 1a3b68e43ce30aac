package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TcpFramingDecoderTest {
    private static final String STUN = "0001 0008 2112a442 000102030405060708090a0b 8022 0004 61626364";
    private static final String CHANNEL_DATA_3 = "4000 0003 aabbcc";

    private static ByteBuf hex(String s) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(s.replace(" ", "")));
    }

    /** Feeds {@code input} in chunks of {@code chunk} bytes; returns the frames as hex, all released. */
    private static List<String> frames(EmbeddedChannel ch, String input, int chunk) {
        ByteBuf in = hex(input);
        while (in.isReadable()) {
            ch.writeInbound(in.readRetainedSlice(Math.min(chunk, in.readableBytes())));
        }
        in.release();
        List<String> out = new ArrayList<>();
        for (ByteBuf f = ch.readInbound(); f != null; f = ch.readInbound()) {
            out.add(ByteBufUtil.hexDump(f));
            f.release(); // a slice of the cumulation: the leak detector (PARANOID) checks the parent
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1", "3", "7", "1000"})
    void cutsStunAndPaddedChannelDataWhateverTheSegmentation(int chunk) {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFramingDecoder(9216));

        List<String> out = frames(ch, STUN + CHANNEL_DATA_3 + "00" + "4001 0004 01020304" + "4002 0000" + STUN, chunk);

        String stun = STUN.replace(" ", "");
        assertThat(out).containsExactly(stun, "40000003aabbcc", "4001000401020304", "40020000", stun);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void waitsForThePaddingBeforeEmittingChannelData() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFramingDecoder(9216));

        assertThat(frames(ch, CHANNEL_DATA_3, 100)).isEmpty();
        assertThat(frames(ch, "00", 100)).containsExactly("40000003aabbcc");
        assertThat(ch.finish()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "first byte 0x80 as RTP or a TLS record,      80000000",
        "first byte 0xC0,                             c0010000",
        "STUN longer than the limit,                  0001 0400 2112a442",
        "ChannelData longer than the limit,           4000 03fd",
    })
    void closesAStreamThatCannotBeFramed(String why, String input) {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFramingDecoder(1024));

        assertThat(frames(ch, input + "00010000 2112a442 000102030405060708090a0b", 100)).as(why).isEmpty();

        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void acceptsAFrameOfExactlyTheLimit() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFramingDecoder(24));

        assertThat(frames(ch, "4000 0014" + "00".repeat(20), 5)).hasSize(1);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }
}
