package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.handler.Exchange;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunParseException;
import dev.turnbridge.relay.wire.ChannelData;
import dev.turnbridge.relay.wire.SendIndication;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client sent, told apart by its first byte (RFC 7983, RFC 8656 §12.4): ChannelData and Send
 * indications go straight to the peer; other STUN messages are decoded and dispatched; anything else, and a
 * STUN message that does not decode, is dropped and counted in one place. Shared by the UDP, TCP/TLS and DTLS
 * transports; one per server socket or connection, confined to its event loop.
 */
final class ClientDemultiplexer {
    private static final Logger log = LoggerFactory.getLogger(ClientDemultiplexer.class);

    private final TurnDispatcher dispatcher;
    private final PeerForwarder forwarder;
    private final RelayStats stats;
    private final Function<InetSocketAddress, Exchange> exchanges;
    private long lastDropLog;

    /** @param exchanges the exchange that answers a request from a client address */
    ClientDemultiplexer(TurnDispatcher dispatcher, PeerForwarder forwarder,
            Function<InetSocketAddress, Exchange> exchanges) {
        this.dispatcher = dispatcher;
        this.forwarder = forwarder;
        this.stats = dispatcher.context().stats();
        this.exchanges = exchanges;
    }

    /** Handles one message at {@code buf}'s reader index; the caller keeps ownership of {@code buf}. */
    void handle(ByteBuf buf, InetSocketAddress client) {
        int first = buf.getUnsignedByte(buf.readerIndex());
        if (ChannelData.isChannelData(first)) {
            forwarder.channelData(buf, client);
        } else if (!StunDecoder.looksLikeStun(first)) {
            malformed("first_byte");
        } else if (SendIndication.is(buf)) {
            forwarder.sendIndication(buf, client);
        } else {
            // ice4j decodes only whole arrays starting at offset 0
            byte[] bytes = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), bytes);
            StunMessage message;
            try {
                message = StunDecoder.decode(bytes, bytes.length);
            } catch (StunParseException e) {
                malformed(e.getMessage());
                return;
            }
            dispatcher.dispatch(message, exchanges.apply(client));
        }
    }

    /** Sends what this read batch relayed (see {@link PeerForwarder#flush()}). */
    void flush() {
        forwarder.flush();
    }

    /** Counts a dropped message; logs the reason at debug level, at most once a second. */
    void malformed(String reason) {
        stats.malformedDropped.increment();
        long now = System.nanoTime();
        if (log.isDebugEnabled() && now - lastDropLog > TimeUnit.SECONDS.toNanos(1)) {
            lastDropLog = now;
            log.debug("dropped malformed message ({})", reason);
        }
    }
}
