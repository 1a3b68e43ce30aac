package dev.turnbridge.signaling.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.signaling.session.CloseCodes;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-connection write queue: order kept across threads, one flush per batch, nothing after a close. */
class ChannelPeerLinkTest {

    private final AtomicInteger flushes = new AtomicInteger();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
        }
    });
    private final LongAdder slowReaders = new LongAdder();

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private List<Object> written() {
        List<Object> out = new ArrayList<>();
        for (WebSocketFrame f; (f = channel.readOutbound()) != null; ) {
            out.add(f instanceof TextWebSocketFrame t ? t.text() : ((CloseWebSocketFrame) f).statusCode());
            f.release();
        }
        return out;
    }

    @Test
    void messagesFromSeveralThreadsLeaveInOrderWithOneFlushPerBatch() throws Exception {
        ChannelPeerLink link = new ChannelPeerLink(channel, new OutboundLimit(1 << 20), slowReaders);
        Thread other = new Thread(() -> {
            for (int i = 0; i < 100; i++) {
                link.send("m" + i);
            }
        });
        other.start();
        other.join(5000);
        for (int i = 100; i < 150; i++) {
            link.send("m" + i);
        }
        assertThat(written()).as("nothing is written outside the loop's task").isEmpty();

        channel.runPendingTasks();

        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            expected.add("m" + i);
        }
        assertThat(written()).isEqualTo(expected);
        assertThat(flushes.get()).isEqualTo(1);
    }

    @Test
    void aLongQueueIsWrittenInBatchesSoTheLoopReadsBetween() {
        ChannelPeerLink link = new ChannelPeerLink(channel, new OutboundLimit(1 << 20), slowReaders);
        int total = ChannelPeerLink.BATCH * 2 + 10;
        for (int i = 0; i < total; i++) {
            link.send("m" + i);
        }
        channel.runPendingTasks(); // each batch queues the next as a new task, which an event loop runs after I/O
        assertThat(written()).hasSize(total);
        assertThat(flushes.get()).as("one flush per batch").isEqualTo(3);
    }

    @Test
    void nothingFollowsACloseFrame() {
        ChannelPeerLink link = new ChannelPeerLink(channel, new OutboundLimit(1 << 20), slowReaders);
        link.send("before");
        link.close(CloseCodes.REPLACED, "resumed on another connection");
        link.send("after");
        channel.runPendingTasks();
        assertThat(written()).containsExactly("before", CloseCodes.REPLACED);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aMessageThatWouldPassTheQueueBoundClosesTheConnectionAsASlowReader() {
        ChannelPeerLink link = new ChannelPeerLink(channel, new OutboundLimit(5), slowReaders);
        link.send("x".repeat(10));
        link.send("never");
        channel.runPendingTasks();
        assertThat(written()).containsExactly(CloseCodes.SLOW_READER);
        assertThat(slowReaders.sum()).isEqualTo(1);
    }
}
