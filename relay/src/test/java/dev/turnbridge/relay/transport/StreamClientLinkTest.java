package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What reaches the connection's pipeline per flush: SslHandler turns everything one flush queued into as few
 * TLS records as it can, so on TLS each message must be flushed alone to travel in a record of its own
 * (coturn's uclient takes one SSL_read as one message and discarded records carrying two: 773 of 1000 echoes).
 */
class StreamClientLinkTest {

    /** Counts the messages written between flushes, where SslHandler would sit. */
    private static final class Batches extends ChannelOutboundHandlerAdapter {
        final List<Integer> perFlush = new ArrayList<>();
        int pending;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            pending++;
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            perFlush.add(pending);
            pending = 0;
            ctx.flush();
        }
    }

    private static ByteBuf channelData(int n) {
        return Unpooled.wrappedBuffer(new byte[] {0x40, 0x00, 0x00, 0x04, (byte) n, 0, 0, 0});
    }

    private static List<Integer> sendBatchOfThree(boolean tls) {
        Batches batches = new Batches();
        EmbeddedChannel ch = new EmbeddedChannel(batches);
        StreamClientLink link = new StreamClientLink(ch, tls);
        for (int i = 0; i < 3; i++) {
            link.send(channelData(i));
        }
        link.flush(); // the end of the batch of peer packets
        List<Integer> perFlush = List.copyOf(batches.perFlush);
        assertThat(ch.outboundMessages()).hasSize(3);
        for (Object m = ch.readOutbound(); m != null; m = ch.readOutbound()) {
            assertThat(((ByteBuf) m).release()).isTrue();
        }
        assertThat(ch.finish()).isFalse();
        return perFlush;
    }

    @Test
    void tlsFlushesEachMessageAlone() {
        assertThat(sendBatchOfThree(true)).containsExactly(1, 1, 1);
    }

    @Test
    void tcpFlushesOncePerBatch() {
        assertThat(sendBatchOfThree(false)).containsExactly(3);
    }
}
