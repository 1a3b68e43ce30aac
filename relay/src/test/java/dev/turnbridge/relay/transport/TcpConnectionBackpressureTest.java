package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.testing.MutableClock;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The write side of a TCP/TLS client connection whose client reads nothing, off the network: a channel whose
 * socket never drains, so every byte written stays queued where the bound must hold.
 */
class TcpConnectionBackpressureTest {
    private final NettyTransport transport = NettyTransport.create(1, "backpressure-test", false);

    @AfterEach
    void stop() {
        transport.shutdown();
    }

    /** An active TCP connection from 192.0.2.1 whose peer never reads: writes queue and never leave. */
    private static final class StuckChannel extends EmbeddedChannel {
        StuckChannel() {
            super();
            config().setWriteBufferWaterMark(new WriteBufferWaterMark(32 * 1024, 64 * 1024));
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("192.0.2.1", 40000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("127.0.0.1", 3478);
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) {
            // the client's window is closed: nothing is taken off the buffer
        }

        long pending() {
            return unsafe().outboundBuffer() == null ? 0 : unsafe().outboundBuffer().totalPendingWriteBytes();
        }
    }

    /** A client that only sends requests cannot make its answers queue beyond twice stream-write-buffer. */
    @Test
    void answersToAClientThatNeverReadsAreBounded() {
        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open", "listeners.stream-write-buffer=65536",
                "listeners.stream-stall-timeout=600s", "auth.secrets=s"));
        RelayContext context = RelayContext.create(settings, MutableClock.now());
        TcpConnectionHandler handler = new TcpConnectionHandler(new TurnDispatcher(context),
                new RelaySockets(context, transport), FiveTuple.Transport.TCP, ConcurrentHashMap.newKeySet());
        StuckChannel channel = new StuckChannel();
        channel.pipeline().addLast(handler);
        channel.pipeline().fireChannelActive();

        long maxPending = 0;
        int sent = 0;
        while (channel.isOpen() && sent < 100_000) { // bounded: the bound is about 2300 answers
            byte[] binding = new byte[20];
            ByteBuffer.wrap(binding).putShort((short) 0x0001).putShort((short) 0).putInt(0x2112A442)
                    .putInt(sent).putLong(sent * 31L);
            channel.writeInbound(Unpooled.wrappedBuffer(binding));
            maxPending = Math.max(maxPending, channel.pending());
            sent++;
        }

        assertThat(channel.isOpen()).as("closed as stalled").isFalse();
        assertThat(context.stats().streamStalled.sum()).isEqualTo(1);
        // 2 x 64 KiB past the low water mark, plus the one answer that crossed it
        assertThat(maxPending).isGreaterThan(2 * 65536).isLessThanOrEqualTo(2 * 65536 + 32 * 1024 + 256);
        assertThat(channel.pending()).as("queued answers released with the connection").isZero();
        channel.finishAndReleaseAll();
    }
}
