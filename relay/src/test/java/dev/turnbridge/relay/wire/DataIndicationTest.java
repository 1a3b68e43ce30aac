package dev.turnbridge.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnbridge.relay.stun.StunDecoderRoundTrip;
import dev.turnbridge.relay.stun.StunMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Regression for a finding of {@code WirePropertiesTest.dataIndicationDecodesToItsPeerAndPayload}: a peer
 * payload near 64 KiB (an IPv6 peer's 65505-byte datagram, relayed when listeners.max-datagram-size is raised
 * towards 65535) made the 16-bit STUN length wrap, and the client got a Data indication that no decoder
 * accepts ("bad_length"). Such payloads do not fit; the relay socket drops them.
 */
class DataIndicationTest {

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
                assertThatThrownBy(() -> DataIndication.encode(PooledByteBufAllocator.DEFAULT, peer, data))
                        .isInstanceOf(IllegalArgumentException.class);
                return;
            }
            ByteBuf encoded = DataIndication.encode(PooledByteBufAllocator.DEFAULT, peer, data);
            try {
                byte[] bytes = new byte[encoded.readableBytes()];
                encoded.getBytes(0, bytes);
                StunMessage m = StunDecoderRoundTrip.decodeOrFail(bytes);
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
