package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When a UDP server socket's answers leave: with the read batch's flush, or one queued flush outside a batch. */
class UdpListenerHandlerTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 3478);

    private final RelayContext context = RelayContext.create(TestSettings.loopback(), new MutableClock(Instant.now()));
    private final NettyTransport netty = NettyTransport.create(1, "udp-listener-test", false);
    private final UdpListenerHandler handler = new UdpListenerHandler(new TurnDispatcher(context),
            new RelaySockets(context, netty), ConcurrentHashMap.newKeySet());
    private final EmbeddedChannel channel = new EmbeddedChannel(handler) {
        @Override
        public SocketAddress localAddress() {
            return SERVER; // the handler reads its listening address as an IP socket address
        }
    };

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        netty.shutdown();
    }

    private static DatagramPacket bindingRequest(int n) {
        byte[] tid = new byte[12];
        tid[0] = (byte) n;
        byte[] request = StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST, tid).encode(null, null);
        return new DatagramPacket(Unpooled.wrappedBuffer(request), SERVER, CLIENT);
    }

    private StunMessage answer() throws Exception {
        DatagramPacket packet = channel.readOutbound();
        try {
            assertThat(packet.recipient()).isEqualTo(CLIENT);
            byte[] bytes = ByteBufUtil.getBytes(packet.content());
            return StunDecoder.decode(bytes, bytes.length);
        } finally {
            packet.release();
        }
    }

    @Test
    void answersToAReadBatchLeaveTogetherWhenTheBatchEnds() throws Exception {
        channel.pipeline().fireChannelRead(bindingRequest(1));
        channel.pipeline().fireChannelRead(bindingRequest(2));
        assertThat(channel.outboundMessages()).as("written, not yet flushed").isEmpty();

        channel.pipeline().fireChannelReadComplete();
        assertThat(channel.outboundMessages()).hasSize(2);
        assertThat(answer().transactionId()[0]).isEqualTo((byte) 1);
        assertThat(answer().transactionId()[0]).isEqualTo((byte) 2);
    }

    @Test
    void answersSentOutsideAReadBatchLeaveWithOneQueuedFlush() throws Exception {
        // on a real loop and socket: an embedded channel runs its pending tasks on every write
        AtomicInteger flushes = new AtomicInteger();
        UdpListenerHandler listener = new UdpListenerHandler(new TurnDispatcher(context),
                new RelaySockets(context, netty), ConcurrentHashMap.newKeySet());
        Channel server = new Bootstrap().group(netty.group()).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void flush(ChannelHandlerContext ctx) {
                                flushes.incrementAndGet();
                                ctx.flush();
                            }
                        }, listener);
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.setSoTimeout(5000);
            InetSocketAddress to = (InetSocketAddress) client.getLocalSocketAddress();
            byte[] tid = new byte[12];
            byte[] encoded = StunMessageBuilder.of(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, tid)
                    .encode(null, null);
            // as Allocates answered once their relay sockets are bound: from a task, no read batch around it
            server.eventLoop().submit(() -> {
                listener.send(to, encoded);
                listener.send(to, encoded);
            }).sync();
            for (int i = 0; i < 2; i++) {
                java.net.DatagramPacket got = new java.net.DatagramPacket(new byte[64], 64);
                client.receive(got);
                assertThat(got.getLength()).isEqualTo(encoded.length);
            }
            assertThat(flushes.get()).as("one flush for both answers").isEqualTo(1);

            server.eventLoop().submit(() -> listener.send(to, encoded)).sync();
            client.receive(new java.net.DatagramPacket(new byte[64], 64));
            assertThat(flushes.get()).as("a later answer queues a flush of its own").isEqualTo(2);
        } finally {
            server.close().sync();
        }
    }
}
