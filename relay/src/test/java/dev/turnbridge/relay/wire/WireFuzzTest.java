package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.turnbridge.relay.stun.StunAccessors;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunDecoderRoundTrip;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunParseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;

/**
 * Coverage-guided fuzzing of the hot-path framing on {@link ByteBuf}s, demultiplexed as the UDP listener does
 * (RFC 7983): ChannelData headers, Send indications through one reused {@link SendIndication} parser, the
 * XOR-PEER-ADDRESS it finds, and the Data indication the relay would send back for it. Buffers come from the
 * pooled (direct and heap) and unpooled allocators, at a non-zero reader index, and are released in
 * {@code finally}; every buffer must end with {@code refCnt() == 0}.
 *
 * <p>Input layout (Jazzer's {@link FuzzedDataProvider} takes integers from the end): the datagram, then one
 * byte choosing the allocator and one choosing the reader index. Seeds under
 * {@code WireFuzzTestInputs/datagram/}.
 */
class WireFuzzTest {
    private static final ByteBufAllocator[] ALLOCATORS = {
        PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
    };

    private final SendIndication send = new SendIndication();

    @FuzzTest(maxDuration = "4m", maxExecutions = 1_000_000)
    void datagram(FuzzedDataProvider data) {
        int which = data.consumeInt(0, 2);
        int offset = data.consumeInt(0, 7);
        byte[] datagram = data.consumeRemainingAsBytes();
        ByteBufAllocator alloc = ALLOCATORS[which];
        ByteBuf buf = which == 2 ? alloc.heapBuffer(offset + datagram.length) : alloc.directBuffer(offset + datagram.length);
        try {
            buf.writeZero(offset).writeBytes(datagram).readerIndex(offset);
            demultiplex(alloc, buf);
            assertThat(buf.readerIndex()).isEqualTo(offset);
            assertThat(buf.writerIndex()).isEqualTo(offset + datagram.length);
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    private void demultiplex(ByteBufAllocator alloc, ByteBuf buf) {
        if (!buf.isReadable()) {
            return;
        }
        int first = buf.getUnsignedByte(buf.readerIndex());
        if (ChannelData.isChannelData(first)) {
            channelData(buf);
        } else if (!StunDecoder.looksLikeStun(first)) {
            return;
        } else if (buf.readableBytes() >= 20) {
            // parse does not look at the type, so every STUN-looking datagram exercises it (not only 0x0016)
            sendIndication(alloc, buf);
        }
    }

    private static void channelData(ByteBuf buf) {
        int length = ChannelData.dataLength(buf);
        if (length < 0) {
            return; // the header is read only once it is known to fit (crash-ff46...: a 1-byte datagram)
        }
        assertThat(ChannelData.channelNumber(buf)).isBetween(0x4000, 0x7FFF);
        assertThat(ChannelData.HEADER_LENGTH + length).isLessThanOrEqualTo(buf.readableBytes());
        ByteBuf payload = buf.retainedSlice(buf.readerIndex() + ChannelData.HEADER_LENGTH, length);
        try {
            assertThat(payload.readableBytes()).isEqualTo(length);
        } finally {
            payload.release();
        }
    }

    private void sendIndication(ByteBufAllocator alloc, ByteBuf buf) {
        boolean isSend = SendIndication.is(buf);
        if (!send.parse(buf)) {
            return;
        }
        InetSocketAddress peer = send.peer();
        assertThat(peer).isNotNull();
        int start = buf.readerIndex();
        assertThat(send.dataIndex()).isGreaterThanOrEqualTo(start + 24);
        assertThat(send.dataIndex() + send.dataLength()).isLessThanOrEqualTo(buf.writerIndex());
        if (!isSend) {
            return;
        }
        ByteBuf payload = buf.retainedSlice(send.dataIndex(), send.dataLength());
        ByteBuf indication = null;
        try {
            indication = DataIndication.encode(alloc, peer, payload);
            byte[] bytes = new byte[indication.readableBytes()];
            indication.getBytes(indication.readerIndex(), bytes);
            StunMessage decoded = StunDecoderRoundTrip.decodeOrFail(bytes);
            StunAccessors.readAll(decoded);
            assertThat(decoded.peerAddresses()).containsExactly(peer);
            byte[] expected = new byte[send.dataLength()];
            buf.getBytes(send.dataIndex(), expected);
            assertThat(decoded.data()).isEqualTo(expected);
        } finally {
            payload.release();
            if (indication != null) {
                indication.release();
                assertThat(indication.refCnt()).isZero();
            }
        }
        // the same bytes through the full decoder must not disagree about being well framed
        byte[] whole = new byte[buf.readableBytes()];
        buf.getBytes(start, whole);
        try {
            StunAccessors.readAll(StunDecoder.decode(whole, whole.length));
        } catch (StunParseException e) {
            // the data path is more lenient (no trailing-attribute rules); dropping here is fine
        }
    }
}
