package dev.turnbridge.relay.transport;

import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DTLSVerifier;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DTLS server socket (RFC 7350): datagrams from a client with an association go to its
 * {@link DtlsSession}; from any other address only a ClientHello is looked at, and only one that returns the
 * cookie of our HelloVerifyRequest (RFC 6347 §4.2.1, Bouncy Castle's {@link DTLSVerifier}) starts a session.
 * A spoofed source therefore costs one stateless HelloVerifyRequest, smaller than the ClientHello it answers.
 * Handshakes run on the {@code handshakes} executor (BC's DTLS server blocks while it waits for flights); the
 * number of sessions, established or not, is bounded, and a handshake that does not finish in time is dropped.
 */
final class DtlsListenerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(DtlsListenerHandler.class);
    /** Largest datagram of a handshake flight: fits a 1280-byte IPv6 path with the IP and UDP headers. */
    static final int HANDSHAKE_DATAGRAM = 1200;
    private static final int CONTENT_TYPE_HANDSHAKE = 22;
    private static final int RECORD_HEADER = 13;

    private final TurnDispatcher dispatcher;
    private final RelayContext context;
    private final RelaySockets relaySockets;
    private final TlsCertificate certificate;
    private final Executor handshakes;
    private final Set<AllocationOwner> owners;
    private final int maxSessions;
    private final int handshakeMillis;
    private final BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
    private final DTLSVerifier verifier = new DTLSVerifier(crypto);
    private final DTLSServerProtocol protocol = new DTLSServerProtocol();
    // written on the event loop only; concurrent so that operators and tests may count from elsewhere
    private final Map<InetSocketAddress, DtlsSession> sessions = new ConcurrentHashMap<>();
    private final byte[] scratch;
    private volatile DtlsCredentials credentials;
    private Channel channel;
    private ScheduledFuture<?> sweeper;
    private long lastDropLog;

    DtlsListenerHandler(TurnDispatcher dispatcher, RelaySockets relaySockets, TlsCertificate certificate,
            Executor handshakes, Set<AllocationOwner> owners, int maxSessions, int handshakeMillis) {
        this.dispatcher = dispatcher;
        this.context = dispatcher.context();
        this.relaySockets = relaySockets;
        this.certificate = certificate;
        this.handshakes = handshakes;
        this.owners = owners;
        this.maxSessions = maxSessions;
        this.handshakeMillis = handshakeMillis;
        this.scratch = new byte[context.settings().listeners().maxDatagramSize()];
        this.credentials = DtlsCredentials.of(certificate.certifiedKey(), crypto);
    }

    /** Sessions on this socket, established or handshaking. */
    int sessionCount() {
        return sessions.size();
    }

    DtlsSession session(InetSocketAddress client) {
        return sessions.get(client);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        sweeper = ctx.executor().scheduleAtFixedRate(this::sweep, ClientSessions.SWEEP_MILLIS, ClientSessions.SWEEP_MILLIS,
                TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        for (DtlsSession s : new ArrayList<>(sessions.values())) {
            s.end();
        }
        ctx.fireChannelInactive();
    }

    private void sweep() {
        long now = context.now();
        for (DtlsSession s : new ArrayList<>(sessions.values())) {
            s.sweep(now);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        try {
            ByteBuf buf = packet.content();
            if (buf.readableBytes() < RECORD_HEADER || buf.readableBytes() >= scratch.length) {
                dropped("size");
                return;
            }
            byte[] datagram = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), datagram);
            InetSocketAddress sender = packet.sender();
            DtlsSession session = sessions.get(sender);
            if (session != null && !(session.isEstablished() && isClientHello(datagram))) {
                session.received(datagram);
            } else {
                // a new client, or one that restarted and greets us again (RFC 6347 §4.2.8)
                clientHello(datagram, sender, session);
            }
        } finally {
            packet.release();
        }
    }

    /** An epoch-0 handshake record: what a ClientHello travels in. */
    private static boolean isClientHello(byte[] datagram) {
        return datagram[0] == CONTENT_TYPE_HANDSHAKE && datagram[3] == 0 && datagram[4] == 0;
    }

    private void clientHello(byte[] datagram, InetSocketAddress sender, DtlsSession previous) {
        if (!isClientHello(datagram)) {
            dropped("not_client_hello");
            return;
        }
        // answers a HelloVerifyRequest (no state kept) unless the ClientHello returns a valid cookie
        DTLSRequest request = verifier.verifyRequest(clientId(sender), datagram, 0, datagram.length,
                new HelloVerifySender(channel, sender));
        if (request == null) {
            return;
        }
        if (previous != null) {
            previous.end(); // the client lost its association; the new handshake replaces it
        }
        if (sessions.size() >= maxSessions) {
            dropped("sessions_full");
            return;
        }
        DtlsSession session = new DtlsSession(dispatcher, relaySockets, channel, sender, HANDSHAKE_DATAGRAM, scratch,
                handshakeMillis + ClientSessions.SWEEP_MILLIS, owners, s -> sessions.remove(s.fiveTuple().client(), s));
        sessions.put(sender, session);
        try {
            handshakes.execute(() -> handshake(session, request));
        } catch (RejectedExecutionException e) {
            // every handshake thread is busy and the queue is full: the client retransmits its ClientHello
            session.end();
            dropped("handshakes_busy");
        }
    }

    /** On a handshake thread: BC reads the client's flights from the session's queue until done or failed. */
    private void handshake(DtlsSession session, DTLSRequest request) {
        EventLoop loop = channel.eventLoop();
        try {
            DtlsServerPeer peer = new DtlsServerPeer(crypto, currentCredentials(), handshakeMillis);
            DTLSTransport established = protocol.accept(peer, session.transport(), request);
            loop.execute(() -> session.established(established));
        } catch (IOException | RuntimeException e) {
            log.debug("DTLS handshake with {} failed: {}", session.fiveTuple().client(), e.toString());
            try {
                loop.execute(session::end);
            } catch (RejectedExecutionException shuttingDown) {
                // channelInactive ends every session
            }
        }
    }

    /** The credentials of the certificate in use, rebuilt after a reload of the TLS certificate. */
    private DtlsCredentials currentCredentials() {
        CertifiedKey key = certificate.certifiedKey();
        DtlsCredentials c = credentials;
        if (c.from() != key) {
            c = DtlsCredentials.of(key, crypto);
            credentials = c;
        }
        return c;
    }

    /** The cookie binds the client's address and port (RFC 6347 §4.2.1). */
    private static byte[] clientId(InetSocketAddress client) {
        byte[] ip = client.getAddress().getAddress();
        return ByteBuffer.allocate(ip.length + 2).put(ip).putShort((short) client.getPort()).array();
    }

    private void dropped(String reason) {
        context.stats().malformedDropped.increment();
        long now = System.nanoTime();
        if (log.isDebugEnabled() && now - lastDropLog > TimeUnit.SECONDS.toNanos(1)) {
            lastDropLog = now;
            log.debug("dropped DTLS datagram ({})", reason);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("DTLS listener {} error: {}", channel == null ? null : channel.localAddress(), cause.toString());
    }

    /** Where the verifier's HelloVerifyRequest goes: straight back to the claimed source, nothing remembered. */
    private record HelloVerifySender(Channel channel, InetSocketAddress client) implements DatagramSender {
        @Override
        public int getSendLimit() {
            return HANDSHAKE_DATAGRAM;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            channel.writeAndFlush(new DatagramPacket(io.netty.buffer.Unpooled.copiedBuffer(buf, off, len), client),
                    channel.voidPromise());
        }
    }
}
