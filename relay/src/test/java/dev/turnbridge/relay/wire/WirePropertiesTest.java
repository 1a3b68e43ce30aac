package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunDecoderRoundTrip;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunParseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Round trips and robustness of the hot-path framing (jqwik, fixed seeds, small tries: part of every build).
 * Every buffer is released in {@code finally} and checked to be at {@code refCnt() == 0}.
 */
class WirePropertiesTest {
    private static final ByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

    @Property(tries = 300, seed = "20260101")
    void xorAddressWriteThenDecodeIsIdentity(@ForAll("addresses") InetSocketAddress address,
            @ForAll @Size(12) byte[] transactionId, @ForAll @IntRange(max = 7) int offset, @ForAll boolean direct) {
        ByteBuf buf = direct ? POOLED.directBuffer(64) : POOLED.heapBuffer(64);
        try {
            buf.writeZero(offset);
            int message = buf.writerIndex();
            buf.writeShort(0x0016).writeShort(0).writeInt(XorAddress.MAGIC_COOKIE).writeBytes(transactionId);
            int value = buf.writerIndex();
            XorAddress.write(buf, message, address);
            assertThat(buf.writerIndex() - value).isEqualTo(XorAddress.valueLength(address));
            assertThat(XorAddress.decode(buf, message, value, XorAddress.valueLength(address))).isEqualTo(address);
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @Property(tries = 200, seed = "20260102")
    void dataIndicationDecodesToItsPeerAndPayload(@ForAll("addresses") InetSocketAddress peer,
            @ForAll("payloads") byte[] payload) {
        if (!DataIndication.fits(peer, payload.length)) {
            assertThat(payload.length).isGreaterThan(65_504); // only near the 16-bit limit; see DataIndicationTest
            return;
        }
        ByteBuf data = Unpooled.wrappedBuffer(payload);
        ByteBuf encoded = DataIndication.encode(POOLED, peer, data);
        try {
            byte[] bytes = new byte[encoded.readableBytes()];
            encoded.getBytes(encoded.readerIndex(), bytes);
            StunMessage decoded = StunDecoderRoundTrip.decodeOrFail(bytes);
            assertThat(decoded.peerAddresses()).containsExactly(peer);
            assertThat(decoded.data()).isEqualTo(payload);
            assertThat(data.readerIndex()).isZero(); // the payload is not consumed
        } finally {
            encoded.release();
            data.release();
        }
        assertThat(encoded.refCnt()).isZero();
    }

    @Property(tries = 200, seed = "20260103")
    void channelDataEncodeAnnouncesItsLength(@ForAll @IntRange(min = 0x4000, max = 0x4FFF) int channel,
            @ForAll("payloads") byte[] payload, @ForAll boolean padded) {
        ByteBuf data = Unpooled.wrappedBuffer(payload);
        ByteBuf frame = ChannelData.encode(POOLED, channel, data, 0, payload.length, padded);
        try {
            assertThat(ChannelData.isChannelData(frame.getUnsignedByte(0))).isTrue();
            assertThat(ChannelData.channelNumber(frame)).isEqualTo(channel);
            assertThat(ChannelData.dataLength(frame)).isEqualTo(payload.length);
            assertThat(frame.readableBytes() % (padded ? 4 : 1)).isZero();
            byte[] back = new byte[payload.length];
            frame.getBytes(ChannelData.HEADER_LENGTH, back);
            assertThat(back).isEqualTo(payload);
        } finally {
            frame.release();
            data.release();
        }
        assertThat(frame.refCnt()).isZero();
    }

    /** Random datagrams, as the UDP listener demultiplexes them: nothing throws, nothing leaks. */
    @Property(tries = 1000, seed = "20260104")
    void framingNeverThrowsOnRandomBytes(@ForAll("datagrams") byte[] datagram, @ForAll boolean direct) {
        ByteBuf buf = direct ? POOLED.directBuffer(datagram.length + 1) : UnpooledByteBufAllocator.DEFAULT.heapBuffer();
        try {
            buf.writeBytes(datagram);
            if (!buf.isReadable()) {
                return;
            }
            int first = buf.getUnsignedByte(0);
            if (ChannelData.isChannelData(first)) {
                int length = ChannelData.dataLength(buf);
                assertThat(length == -1 || length >= 0 && length <= buf.readableBytes() - ChannelData.HEADER_LENGTH)
                        .as("dataLength %d of %d bytes", length, buf.readableBytes()).isTrue();
            } else if (buf.readableBytes() >= 20) {
                SendIndication send = new SendIndication();
                if (send.parse(buf)) {
                    assertThat(send.dataIndex() + send.dataLength()).isLessThanOrEqualTo(buf.writerIndex());
                }
                try {
                    StunDecoder.decode(datagram, datagram.length);
                } catch (StunParseException expected) {
                    // dropped
                }
            }
        } finally {
            buf.release();
        }
        assertThat(buf.refCnt()).isZero();
    }

    @Provide
    Arbitrary<InetSocketAddress> addresses() {
        Arbitrary<byte[]> ip = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16));
        return Combinators.combine(ip, Arbitraries.integers().between(0, 65535)).as((a, port) -> {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Mostly small payloads, and the edges: empty, and the largest a UDP datagram can carry. */
    @Provide
    Arbitrary<byte[]> payloads() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(1500),
                Arbitraries.integers().between(65_400, 65_507).map(byte[]::new),
                Arbitraries.just(new byte[0]));
    }

    /** Random bytes, biased to start like ChannelData or like a STUN message with the magic cookie. */
    @Provide
    Arbitrary<byte[]> datagrams() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        return Arbitraries.oneOf(random, random.map(b -> {
            if (b.length >= 8) {
                b[0] &= 0x01;
                b[2] = 0;
                b[3] = (byte) ((b.length - 20) & 0xFC);
                b[4] = 0x21;
                b[5] = 0x12;
                b[6] = (byte) 0xA4;
                b[7] = 0x42;
            }
            return b;
        }));
    }
}
