package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoderRoundTrip;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Data indications are checked with the independent STUN decoder (and through it ice4j). */
class DataIndicationTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final InetSocketAddress PEER_V4 = new InetSocketAddress("192.0.2.1", 32853);
    private static final InetSocketAddress PEER_V6 =
            new InetSocketAddress("2001:db8:1234:5678:11:2233:4455:6677", 1);

    static Stream<Arguments> peersAndLengths() {
        return Stream.of(PEER_V4, PEER_V6, new InetSocketAddress("203.0.113.9", 65535))
                .flatMap(peer -> IntStream.rangeClosed(0, 5).mapToObj(n -> Arguments.of(peer, n)));
    }

    @ParameterizedTest(name = "{0}, {1} bytes")
    @MethodSource("peersAndLengths")
    void decodesAsDataIndicationWithPeerAndExactPayload(InetSocketAddress peer, int length) throws Exception {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) (0xA0 + i);
        }
        // the payload is the readable part of a larger buffer, as in a received datagram
        ByteBuf source = ALLOC.directBuffer(16).writeBytes(new byte[] {7, 7, 7}).writeBytes(payload)
                .writeBytes(new byte[] {8, 8});
        source.readerIndex(3).writerIndex(3 + length);
        String before = ByteBufUtil.hexDump(source, 0, 3 + length + 2);
        ByteBuf out = DataIndication.encode(ALLOC, peer, source);
        try {
            assertThat(out.readableBytes() % 4).as("padded to a multiple of four").isZero();
            assertThat(out.getUnsignedShort(0)).isEqualTo(0x0017);
            assertThat(out.getUnsignedShort(2)).isEqualTo(out.readableBytes() - 20);
            int addressLength = peer.getAddress().getAddress().length == 4 ? 8 : 20;
            assertThat(out.readableBytes()).isEqualTo(20 + 4 + addressLength + 4 + ((length + 3) & ~3));
            // padding bytes are zero
            for (int i = 20 + 4 + addressLength + 4 + length; i < out.writerIndex(); i++) {
                assertThat(out.getByte(i)).as("padding byte %d", i).isZero();
            }

            byte[] bytes = ByteBufUtil.getBytes(out);
            StunMessage m = StunDecoder.decode(bytes, bytes.length);
            assertThat(m.method()).isEqualTo(StunMethod.DATA);
            assertThat(m.messageClass()).isEqualTo(StunClass.INDICATION);
            assertThat(m.attributesWellFormed()).isTrue();
            assertThat(m.peerAddresses()).containsExactly(peer);
            assertThat(m.has(AttributeType.DATA)).isTrue();
            assertThat(m.data()).isEqualTo(payload);
            assertThat(m.hasIntegrity()).isFalse();
            assertThat(m.unknownComprehensionRequired()).isEmpty();

            // the source is read, not consumed, and still belongs to the caller
            assertThat(source.readerIndex()).isEqualTo(3);
            assertThat(source.readableBytes()).isEqualTo(length);
            assertThat(ByteBufUtil.hexDump(source, 0, 3 + length + 2)).isEqualTo(before);
            assertThat(source.refCnt()).isEqualTo(1);
        } finally {
            out.release();
            source.release();
        }
        assertThat(out.refCnt()).isZero();
        assertThat(source.refCnt()).isZero();
    }

    @Test
    void transactionIdsAreFreshAndHeaderCarriesTheCookie() {
        ByteBuf source = ALLOC.directBuffer(1).writeByte(1);
        ByteBuf a = DataIndication.encode(ALLOC, PEER_V4, source);
        ByteBuf b = DataIndication.encode(ALLOC, PEER_V4, source);
        try {
            assertThat(a.getInt(4)).isEqualTo(0x2112A442);
            assertThat(ByteBufUtil.hexDump(a, 8, 12)).isNotEqualTo(ByteBufUtil.hexDump(b, 8, 12));
        } finally {
            a.release();
            b.release();
            source.release();
        }
        assertThat(a.refCnt() + b.refCnt() + source.refCnt()).isZero();
    }

    /**
     * Regression for a finding of {@code WirePropertiesTest.dataIndicationDecodesToItsPeerAndPayload}: a peer
     * payload near 64 KiB (an IPv6 peer's 65505-byte datagram, relayed when listeners.max-datagram-size is
     * raised towards 65535) made the 16-bit STUN length wrap, and the client got a Data indication that no
     * decoder accepts ("bad_length"). Such payloads do not fit; the relay socket drops them.
     */
    @ParameterizedTest(name = "{0} with {1} bytes fits: {2}")
    @CsvSource({
        "127.0.0.1, 0,     true",
        "127.0.0.1, 65516, true",
        "127.0.0.1, 65517, false",
        "::1,       65504, true",
        "::1,       65505, false",
        "::1,       65527, false",
    })
    void payloadFitsOnlyWithinTheSixteenBitLength(String ip, int length, boolean fits) {
        InetSocketAddress peer = new InetSocketAddress(ip, 5000);
        ByteBuf data = Unpooled.wrappedBuffer(new byte[length]);
        try {
            assertThat(DataIndication.fits(peer, length)).isEqualTo(fits);
            if (!fits) {
                assertThatThrownBy(() -> DataIndication.encode(ALLOC, peer, data))
                        .isInstanceOf(IllegalArgumentException.class);
                return;
            }
            ByteBuf encoded = DataIndication.encode(ALLOC, peer, data);
            try {
                StunMessage m = StunDecoderRoundTrip.decodeOrFail(ByteBufUtil.getBytes(encoded));
                assertThat(m.peerAddresses()).containsExactly(peer);
                assertThat(m.data()).hasSize(length);
            } finally {
                encoded.release();
            }
            assertThat(encoded.refCnt()).isZero();
        } finally {
            data.release();
        }
    }
}
