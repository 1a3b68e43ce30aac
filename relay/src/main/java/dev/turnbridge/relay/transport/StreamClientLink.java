package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;

/**
 * A TCP or TLS client: writes on its connection. The connection's write buffer water mark (settings
 * {@code listeners.stream-write-buffer}) turns it unwritable when the client reads too slowly, and the relay
 * then drops peer data rather than queueing it without bound.
 */
record StreamClientLink(Channel connection) implements ClientLink {

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
        connection.write(message, connection.voidPromise());
    }

    @Override
    public void flush() {
        connection.flush();
    }
}
