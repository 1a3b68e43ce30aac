package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.StreamExchange;
import dev.turnbridge.relay.handler.TurnDispatcher;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.bouncycastle.tls.DTLSTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DTLS association (RFC 7350 §4; RFC 6347 §4.2): the client's address on a DTLS server socket. Its
 * handshake runs on a handshake thread; once established, every datagram is decrypted on the event loop and
 * the plaintext ChannelData, Send indication or request handled as on UDP, by this session's
 * {@link ClientSessions}. The association is the 5-tuple (transport DTLS), so it holds at most one allocation, and
 * the allocation ends with it: on close_notify, a fatal alert, a handshake that does not finish in time, or
 * two minutes of silence without an allocation. Event-loop confined except for {@link #transport}.
 */
final class DtlsSession implements ClientPort {
    private static final Logger log = LoggerFactory.getLogger(DtlsSession.class);
    // as TCP: a binding-only client keeps its association with a STUN keepalive every two minutes or so
    static final long IDLE_WITHOUT_ALLOCATION_MILLIS = 120_000;
    // records decrypted per arrival at most: a burst is drained, but one client cannot hold the loop
    private static final int MAX_RECORDS_PER_PASS = DtlsDatagramTransport.QUEUE * 2;

    enum State { HANDSHAKING, ESTABLISHED, CLOSED }

    private final RelayContext context;
    private final Channel serverSocket;
    private final FiveTuple fiveTuple;
    private final DtlsDatagramTransport transport;
    private final ClientSessions sessions;
    private final Consumer<DtlsSession> onEnd;
    private final byte[] scratch;
    private final long handshakeDeadline;
    private State state = State.HANDSHAKING;
    private DTLSTransport dtls;
    private long lastDatagramMillis;

    /**
     * @param scratch           the listener's plaintext buffer (event-loop confined, shared by its sessions)
     * @param handshakeMillis   how long the handshake may take before the session is dropped
     * @param onEnd             runs on the event loop once, when the session ends
     */
    DtlsSession(TurnDispatcher dispatcher, RelaySockets relaySockets, Channel serverSocket, InetSocketAddress client,
            int sendLimit, byte[] scratch, long handshakeMillis, Set<AllocationOwner> owners,
            Consumer<DtlsSession> onEnd) {
        this.context = dispatcher.context();
        this.serverSocket = serverSocket;
        this.fiveTuple = new FiveTuple(client, (InetSocketAddress) serverSocket.localAddress(),
                FiveTuple.Transport.DTLS);
        this.scratch = scratch;
        this.onEnd = onEnd;
        this.sessions = new ClientSessions(dispatcher, relaySockets, this, FiveTuple.Transport.DTLS, owners);
        this.transport = new DtlsDatagramTransport(serverSocket, client, scratch.length, sendLimit,
                this::transportClosed);
        this.lastDatagramMillis = context.now();
        this.handshakeDeadline = lastDatagramMillis + handshakeMillis;
    }

    /** What Bouncy Castle's handshake reads from and writes to (any thread). */
    DtlsDatagramTransport transport() {
        return transport;
    }

    State state() {
        return state;
    }

    boolean isEstablished() {
        return state == State.ESTABLISHED;
    }

    ByteBufAllocator alloc() {
        return serverSocket.alloc();
    }

    /** A datagram from the client: queued for the handshake, or decrypted and handled at once. */
    void received(byte[] datagram) {
        if (state == State.CLOSED) {
            return;
        }
        lastDatagramMillis = context.now();
        transport.offer(datagram); // a full queue drops it, as a congested network would
        if (state == State.ESTABLISHED) {
            decrypt();
        }
    }

    /** The handshake finished (on the event loop): from now on records are read here, never waited for. */
    void established(DTLSTransport established) {
        if (state != State.HANDSHAKING) {
            closeQuietly(established);
            return;
        }
        dtls = established;
        transport.nonBlocking();
        state = State.ESTABLISHED;
        sessions.open();
        decrypt(); // whatever arrived between the Finished and now
    }

    private void decrypt() {
        for (int i = 0; i < MAX_RECORDS_PER_PASS && state == State.ESTABLISHED; i++) {
            int n;
            try {
                n = dtls.receive(scratch, 0, scratch.length, 1);
            } catch (DtlsDatagramTransport.WouldBlock e) {
                break;
            } catch (IOException e) {
                log.debug("DTLS client {} failed: {}", fiveTuple.client(), e.toString());
                end();
                return;
            }
            if (n > 0) {
                plaintext(n);
            }
        }
        sessions.flush(); // what this pass relayed leaves together
        if (transport.isClosed()) {
            end(); // close_notify from the client
        }
    }

    private void plaintext(int length) {
        ByteBuf buf = serverSocket.alloc().buffer(length).writeBytes(scratch, 0, length);
        try {
            sessions.received(buf, fiveTuple.client());
        } finally {
            buf.release();
        }
    }


    /** Encrypts and sends one message to the client, taking ownership of it. */
    void send(ByteBuf message) {
        try {
            if (state != State.ESTABLISHED) {
                return;
            }
            byte[] bytes = new byte[message.readableBytes()];
            message.getBytes(message.readerIndex(), bytes);
            send(bytes);
        } finally {
            message.release();
        }
    }

    private void send(byte[] bytes) {
        if (state != State.ESTABLISHED) {
            return;
        }
        try {
            dtls.send(bytes, 0, bytes.length);
        } catch (IOException e) {
            log.debug("DTLS client {} failed on send: {}", fiveTuple.client(), e.toString());
            end();
        }
    }

    /** Once a second: handshake deadline, allocation and transaction expiry, idle end. */
    void sweep(long now) {
        if (state == State.HANDSHAKING) {
            if (now > handshakeDeadline) {
                log.debug("DTLS handshake with {} timed out", fiveTuple.client());
                end();
            }
            return;
        }
        if (state != State.ESTABLISHED) {
            return;
        }
        sessions.sweep(now);
        if (!sessions.holdsAllocation(fiveTuple.client()) && now - lastDatagramMillis > IDLE_WITHOUT_ALLOCATION_MILLIS) {
            end();
        }
    }

    /** Ends the association (event loop): close_notify if established, allocation ended, slot freed. */
    void end() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (dtls != null) {
            closeQuietly(dtls); // sends close_notify unless the record layer failed
        }
        transport.close(); // wakes a handshake thread still waiting for the client
        sessions.close(AllocationListener.EndReason.CONNECTION_CLOSED);
        onEnd.accept(this);
    }

    // BC closes the transport on close_notify or a fatal alert, on the handshake thread or the event loop
    private void transportClosed() {
        try {
            serverSocket.eventLoop().execute(this::end);
        } catch (RejectedExecutionException e) {
            // the loop is shutting down: channelInactive ends every session
        }
    }

    private static void closeQuietly(DTLSTransport t) {
        try {
            t.close();
        } catch (IOException e) {
            // the client is gone either way
        }
    }

    // ClientPort: one client, this association

    @Override
    public EventLoop eventLoop() {
        return serverSocket.eventLoop();
    }

    @Override
    public FiveTuple fiveTuple(InetSocketAddress client) {
        return fiveTuple;
    }

    /** The session's client. */
    FiveTuple fiveTuple() {
        return fiveTuple;
    }

    @Override
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    @Override
    public void send(InetSocketAddress client, byte[] encoded) {
        send(encoded);
    }

    @Override
    public ClientLink link(InetSocketAddress client) {
        return new DtlsClientLink(this);
    }

    @Override
    public StreamExchange stream() {
        return null;
    }
}
