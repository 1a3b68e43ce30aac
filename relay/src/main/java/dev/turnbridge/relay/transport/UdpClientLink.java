package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/** A UDP client: datagrams to its address from the server socket it reached (its 5-tuple). */
record UdpClientLink(Channel serverSocket, InetSocketAddress client) implements ClientLink {

    @Override
    public boolean isStream() {
        return false;
    }

    @Override
    public boolean isWritable() {
        // UDP has no flow control to honour: the kernel drops what its send buffer cannot hold
        return true;
    }

    @Override
    public ByteBufAllocator alloc() {
        return serverSocket.alloc();
    }

    @Override
    public void send(ByteBuf message) {
        serverSocket.write(new DatagramPacket(message, client), serverSocket.voidPromise());
    }

    @Override
    public void flush() {
        serverSocket.flush();
    }
}
