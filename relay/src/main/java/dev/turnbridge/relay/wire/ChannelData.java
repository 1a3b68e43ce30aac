package dev.turnbridge.relay.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * ChannelData framing (RFC 8656 §12.4): a 2-byte channel number (0x4000-0x4FFF), a 2-byte length, then the
 * application data. Over UDP the datagram may carry padding after the data; over streams the message is
 * padded to a multiple of four.
 */
public final class ChannelData {
    public static final int HEADER_LENGTH = 4;

    private ChannelData() {
    }

    /**
     * RFC 7983 demultiplexing: a first byte of 64-79 starts ChannelData (up to 127 when RFC 5766 channel
     * numbers are allowed; only bound numbers are ever relayed, so the wider test is safe).
     */
    public static boolean isChannelData(int firstByte) {
        return firstByte >= 0x40 && firstByte <= 0x7F;
    }

    public static int channelNumber(ByteBuf buf) {
        return buf.getUnsignedShort(buf.readerIndex());
    }

    /** The data length the header announces, or -1 when it does not fit in what was received. */
    public static int dataLength(ByteBuf buf) {
        if (buf.readableBytes() < HEADER_LENGTH) {
            return -1;
        }
        int length = buf.getUnsignedShort(buf.readerIndex() + 2);
        return length <= buf.readableBytes() - HEADER_LENGTH ? length : -1;
    }

    /** Frames {@code data[index, index+length)} for a channel; {@code padded} for stream transports. */
    public static ByteBuf encode(ByteBufAllocator alloc, int channel, ByteBuf data, int index, int length,
            boolean padded) {
        int pad = padded ? (4 - (length & 3)) & 3 : 0;
        ByteBuf out = alloc.directBuffer(HEADER_LENGTH + length + pad);
        out.writeShort(channel);
        out.writeShort(length);
        out.writeBytes(data, index, length);
        out.writeZero(pad);
        return out;
    }
}
