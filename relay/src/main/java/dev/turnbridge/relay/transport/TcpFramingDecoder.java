package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts a TCP or TLS byte stream into STUN messages and ChannelData messages (RFC 8656 §12.5, RFC 8489 §6.2.2):
 * the first two bits 00 start a STUN message of 20 + length bytes; a first byte of 0x40-0x7F starts
 * ChannelData of 4 + length bytes, followed by padding to a multiple of four that is skipped. Each frame is
 * emitted as a retained slice without its padding. A stream that starts anything else, or announces a frame
 * longer than {@code maxFrame}, can never be re-synchronised, so the connection is closed.
 */
final class TcpFramingDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(TcpFramingDecoder.class);
    static final int STUN_HEADER = 20;
    static final int CHANNEL_DATA_HEADER = 4;

    private final int maxFrame;
    private boolean failed;

    TcpFramingDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= CHANNEL_DATA_HEADER) {
            int start = in.readerIndex();
            int first = in.getUnsignedByte(start);
            int length = in.getUnsignedShort(start + 2);
            int frame;
            int padded;
            if ((first & 0xC0) == 0) {
                frame = STUN_HEADER + length;
                padded = frame; // a STUN length is a multiple of four already (RFC 8489 §5)
            } else if (first <= 0x7F) {
                frame = CHANNEL_DATA_HEADER + length;
                padded = (frame + 3) & ~3;
            } else {
                fail(ctx, in, "first_byte");
                return;
            }
            if (frame > maxFrame) {
                fail(ctx, in, "too_long");
                return;
            }
            if (in.readableBytes() < padded) {
                return;
            }
            out.add(in.retainedSlice(start, frame));
            in.skipBytes(padded);
        }
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, String reason) {
        failed = true;
        in.skipBytes(in.readableBytes());
        log.debug("closing {}: unframeable stream ({})", ctx.channel().remoteAddress(), reason);
        ctx.close();
    }
}
