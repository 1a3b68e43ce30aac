package dev.turnbridge.relay.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.tls.DatagramTransport;

/**
 * Bouncy Castle's view of one DTLS client on the shared server socket: datagrams from the client's address are
 * queued here by the event loop, and records go out as datagrams to that address.
 *
 * <p>While the handshake runs (on a handshake thread, BC's protocol code blocks) {@link #receive} waits on the
 * queue. Afterwards {@link #nonBlocking} makes it fail with {@link WouldBlock} when the queue is empty, so the
 * event loop can decrypt what has arrived and return: BC passes an {@link InterruptedIOException} through
 * without failing the record layer, where a timeout would have it spin until its wait expired.
 */
final class DtlsDatagramTransport implements DatagramTransport {
    /** Datagrams that may wait: a handshake flight is a few, an established client's burst is decrypted at once. */
    static final int QUEUE = 64;
    private static final long POLL_MILLIS = 100;

    private final Channel serverSocket;
    private final InetSocketAddress client;
    private final int receiveLimit;
    private final int sendLimit;
    private final Runnable onClose;
    private final BlockingQueue<byte[]> inbound = new ArrayBlockingQueue<>(QUEUE);
    private final WouldBlock wouldBlock = new WouldBlock();
    private volatile boolean blocking = true;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param sendLimit  largest datagram BC makes of a handshake flight (it fragments to fit); application
     *                   records are as large as the message they carry
     * @param onClose    runs once, on whichever thread closes (BC on close_notify or failure, or the session)
     */
    DtlsDatagramTransport(Channel serverSocket, InetSocketAddress client, int receiveLimit, int sendLimit,
            Runnable onClose) {
        this.serverSocket = serverSocket;
        this.client = client;
        this.receiveLimit = receiveLimit;
        this.sendLimit = sendLimit;
        this.onClose = onClose;
    }

    /** Queues a datagram from the client; false (dropped, as the network might) when the queue is full. */
    boolean offer(byte[] datagram) {
        return !closed.get() && inbound.offer(datagram);
    }

    /** From now on {@link #receive} never waits: called on the event loop once the handshake is done. */
    void nonBlocking() {
        blocking = false;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public int getReceiveLimit() {
        return receiveLimit;
    }

    @Override
    public int getSendLimit() {
        return sendLimit;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        byte[] datagram;
        if (!blocking) {
            datagram = inbound.poll();
            if (datagram == null) {
                throw wouldBlock;
            }
        } else {
            datagram = poll(waitMillis);
            if (datagram == null) {
                return -1;
            }
        }
        System.arraycopy(datagram, 0, buf, off, Math.min(len, datagram.length));
        return datagram.length; // longer than len: BC discards it
    }

    private byte[] poll(int waitMillis) throws IOException {
        // waitMillis 0 is "forever" to BC; wake up now and then to notice a close
        long deadline = waitMillis == 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        try {
            while (true) {
                if (closed.get()) {
                    throw new IOException("DTLS session closed");
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                byte[] datagram = inbound.poll(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)),
                        TimeUnit.NANOSECONDS);
                if (datagram != null) {
                    return datagram;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (closed.get()) {
            return; // a late retransmission or alert: the client is gone for us
        }
        // BC may reuse its array once this returns; the write may complete later, on the event loop
        serverSocket.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer(buf, off, len), client),
                serverSocket.voidPromise());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            inbound.clear();
            onClose.run();
        }
    }

    /** "Nothing more has arrived": ends a decrypting pass on the event loop. No stack trace, it is not an error. */
    static final class WouldBlock extends InterruptedIOException {
        WouldBlock() {
            super("no datagram queued");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
