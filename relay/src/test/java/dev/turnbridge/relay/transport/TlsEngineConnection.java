package dev.turnbridge.relay.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * A TLS client connection of the test's own, on the JDK's {@link SSLEngine} over a plain socket, so that the
 * test decides what goes on the wire: {@link #sendCloseNotify} sends close_notify alone (no TCP FIN), and
 * {@link #awaitCloseNotify} tells the server's close_notify apart from a bare TCP close. {@link #in} and
 * {@link #out} carry the application bytes (hand them to {@link StreamTurnClient#over}). Public for the server module's tests.
 */
public final class TlsEngineConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream rawIn;
    private final OutputStream rawOut;
    private final SSLEngine engine;
    private final ByteBuffer netIn;
    private final ByteBuffer appIn;
    private final ByteBuffer netOut;
    private boolean peerClosedTcp;

    private TlsEngineConnection(Socket socket, SSLEngine engine) throws IOException {
        this.socket = socket;
        this.rawIn = socket.getInputStream();
        this.rawOut = socket.getOutputStream();
        this.engine = engine;
        int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocate(packet * 2);
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() * 2);
        this.netOut = ByteBuffer.allocate(packet * 2);
        appIn.flip(); // empty, in read mode
    }

    /** Connects and handshakes {@code protocol} (e.g. "TLSv1.3"), offering ALPN stun.turn; trusts any certificate. */
    public static TlsEngineConnection open(InetSocketAddress server, String protocol) throws Exception {
        Socket s = new Socket();
        s.connect(server, 5000);
        s.setSoTimeout(5000);
        SSLEngine engine = StreamTurnClient.trustingContext().createSSLEngine(
                server.getAddress().getHostAddress(), server.getPort());
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(new String[] {protocol});
        params.setApplicationProtocols(new String[] {TlsCertificate.ALPN_TURN});
        engine.setSSLParameters(params);
        TlsEngineConnection c = new TlsEngineConnection(s, engine);
        try {
            c.handshake();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return c;
    }

    public Socket socket() {
        return socket;
    }

    public String protocol() {
        return engine.getSession().getProtocol();
    }

    private void handshake() throws IOException {
        engine.beginHandshake();
        for (int i = 0; i < 1000; i++) {
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> wrap(ByteBuffer.allocate(0));
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrapSome();
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                default -> {
                    return; // FINISHED or NOT_HANDSHAKING
                }
            }
        }
        throw new SSLException("handshake did not finish");
    }

    private void wrap(ByteBuffer app) throws IOException {
        do {
            netOut.clear();
            SSLEngineResult r = engine.wrap(app, netOut);
            if (r.getStatus() != SSLEngineResult.Status.OK && r.getStatus() != SSLEngineResult.Status.CLOSED) {
                throw new SSLException("wrap: " + r);
            }
            netOut.flip();
            rawOut.write(netOut.array(), 0, netOut.limit());
        } while (app.hasRemaining());
        rawOut.flush();
    }

    /** Unwraps one record, reading from the socket when none is complete; false when the TCP stream ended. */
    private boolean unwrapSome() throws IOException {
        while (true) {
            netIn.flip();
            appIn.compact();
            SSLEngineResult r;
            try {
                r = engine.unwrap(netIn, appIn);
            } finally {
                netIn.compact();
                appIn.flip();
            }
            switch (r.getStatus()) {
                case OK, CLOSED -> {
                    return true;
                }
                case BUFFER_UNDERFLOW -> {
                    int n = rawIn.read(netIn.array(), netIn.position(), netIn.remaining());
                    if (n < 0) {
                        peerClosedTcp = true;
                        return false;
                    }
                    netIn.position(netIn.position() + n);
                }
                default -> throw new SSLException("unwrap: " + r);
            }
        }
    }

    /** Application bytes from the server; -1 after its close_notify (or when the TCP stream ended). */
    public InputStream in() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (!appIn.hasRemaining()) {
                    if (engine.isInboundDone() || !unwrapSome()) {
                        return -1;
                    }
                }
                int n = Math.min(len, appIn.remaining());
                appIn.get(b, off, n);
                return n;
            }
        };
    }

    public OutputStream out() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                wrap(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** Sends close_notify and nothing else: the TCP connection stays open in both directions. */
    public void sendCloseNotify() throws IOException {
        engine.closeOutbound();
        while (!engine.isOutboundDone()) {
            wrap(ByteBuffer.allocate(0));
        }
    }

    /**
     * Reads (discarding application data) until the server's close_notify, failing if none arrives within
     * {@code millis}; false when the TCP stream ended without one.
     */
    public boolean awaitCloseNotify(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            while (!engine.isInboundDone()) {
                appIn.position(appIn.limit());
                if (!unwrapSome()) {
                    return false;
                }
            }
            return true;
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("no close_notify within " + millis + " ms");
        }
    }

    /** Whether the server closed TCP too: the next read on the socket sees the end of the stream. */
    public boolean awaitTcpEnd(int millis) throws IOException {
        if (peerClosedTcp) {
            return true;
        }
        socket.setSoTimeout(millis);
        try {
            return rawIn.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
