package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A DTLS client: each message is encrypted as one application-data record of its session and sent as a
 * datagram from the DTLS server socket, at once (no batching). Like UDP, ChannelData is not padded (RFC 8656 §12.5) and there is no
 * flow control to honour.
 */
record DtlsClientLink(DtlsSession session) implements ClientLink {

    @Override
    public boolean isStream() {
        return false;
    }

    @Override
    public boolean isWritable() {
        return session.isEstablished();
    }

    @Override
    public ByteBufAllocator alloc() {
        return session.alloc();
    }

    @Override
    public void send(ByteBuf message) {
        session.send(message);
    }

    @Override
    public void flush() {
        // each record is written and flushed as it is encrypted: BC's record layer sends at once
    }
}
