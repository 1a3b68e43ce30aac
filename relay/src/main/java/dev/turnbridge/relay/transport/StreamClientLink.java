package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;

/**
 * A TCP or TLS client: writes on its connection. The connection's write buffer water mark (settings
 * {@code listeners.stream-write-buffer}) turns it unwritable when the client reads too slowly, and the relay
 * then drops peer data rather than queueing it without bound.
 *
 * <p>On TLS every message is flushed as it is sent, so that it leaves in a TLS record of its own. Netty's
 * SslHandler wraps all that one flush queued into as few records as it can, and clients that take one
 * SSL_read as one TURN message (coturn's turnutils_uclient does: RFC 8656 §12.5 framing is applied on TCP
 * but not on TLS) discard every record that carries two messages. coturn's server also writes one record per
 * message. Plain TCP keeps one flush per batch.
 */
record StreamClientLink(Channel connection, boolean recordPerMessage) implements ClientLink {

    @Override
    public boolean isStream() {
        return true;
    }

    @Override
    public boolean isWritable() {
        return connection.isWritable();
    }

    @Override
    public ByteBufAllocator alloc() {
        return connection.alloc();
    }

    @Override
    public void send(ByteBuf message) {
        if (recordPerMessage) {
            connection.writeAndFlush(message, connection.voidPromise());
        } else {
            connection.write(message, connection.voidPromise());
        }
    }

    @Override
    public void flush() {
        if (!recordPerMessage) {
            connection.flush();
        }
    }
}
