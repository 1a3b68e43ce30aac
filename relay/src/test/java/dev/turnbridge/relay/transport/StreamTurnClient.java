package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.wire.XorAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.ice4j.attribute.AttributeFactory;

/**
 * A blocking TURN client over TCP or TLS for loopback tests: long-term authentication (401 then signed
 * requests), Allocate, CreatePermission, ChannelBind, Send indications and ChannelData (padded), and reading
 * of what peers send back; RFC 6062 TCP allocations (Connect, ConnectionAttempt, ConnectionBind, after which
 * {@link #socket} carries raw bytes). Frames that arrive while a response is awaited are kept for
 * {@link #receive} and {@link #awaitIndication}. Public for the server module's tests of RFC 6062 metrics.
 */
public final class StreamTurnClient implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final String username;
    private final String password;
    private final Deque<byte[]> received = new ArrayDeque<>();
    private String realm;
    private String nonce;
    private byte[] key;

    private StreamTurnClient(Socket socket, String username, String password) throws IOException {
        this(socket, socket.getInputStream(), socket.getOutputStream(), username, password);
    }

    private StreamTurnClient(Socket socket, InputStream in, OutputStream out, String username, String password)
            throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        this.in = new DataInputStream(in);
        this.out = out;
        this.username = username;
        this.password = password;
    }

    /** A client over {@code connection}'s TLS engine, the test's own (see {@link TlsEngineConnection}). */
    public static StreamTurnClient over(TlsEngineConnection connection, String username, String password)
            throws IOException {
        return new StreamTurnClient(connection.socket(), connection.in(), connection.out(), username, password);
    }

    public static StreamTurnClient tcp(InetSocketAddress server, String username, String password, int receiveBuffer)
            throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer); // before connect, so the window is small from the start
        }
        s.connect(server, 5000);
        return new StreamTurnClient(s, username, password);
    }

    /** A client on a socket the caller connected (and may have written to, such as a PROXY header). */
    static StreamTurnClient over(Socket connected, String username, String password) throws IOException {
        return new StreamTurnClient(connected, username, password);
    }

    /** A TLS client layered on a socket the caller connected and wrote a PROXY header to. */
    static StreamTurnClient tlsOver(Socket connected, String username, String password) throws Exception {
        SSLSocket s = (SSLSocket) trustingContext().getSocketFactory().createSocket(connected,
                connected.getInetAddress().getHostAddress(), connected.getPort(), true);
        s.startHandshake();
        return new StreamTurnClient(s, username, password);
    }

    /** A TLS client that trusts any certificate (the server's is self-signed) and offers ALPN {@code alpn}. */
    public static StreamTurnClient tls(InetSocketAddress server, String username, String password, String protocol,
            String... alpn) throws Exception {
        SSLSocket s = (SSLSocket) trustingContext().getSocketFactory().createSocket();
        s.connect(server, 5000);
        SSLParameters params = s.getSSLParameters();
        params.setProtocols(new String[] {protocol});
        params.setApplicationProtocols(alpn);
        s.setSSLParameters(params);
        s.startHandshake();
        return new StreamTurnClient(s, username, password);
    }

    /** A TLS context that trusts any server certificate (ours are self-signed in tests). */
    public static SSLContext trustingContext() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new TrustingManager()}, RANDOM);
        return ssl;
    }

    public Socket socket() {
        return socket;
    }

    /** Sends a request, authenticating after a 401 or 438, and returns its response. */
    Reply request(int method, Consumer<StunMessageBuilder> attributes) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            byte[] id = new byte[12];
            RANDOM.nextBytes(id);
            StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, id);
            attributes.accept(b);
            if (nonce != null) {
                b.add(AttributeFactory.createUsernameAttribute(username)).realm(realm).nonce(nonce);
            }
            write(b.encode("", nonce != null ? key : null));
            Reply reply = awaitResponse(id);
            int code = reply.errorCode();
            if ((code == 401 && nonce == null) || code == 438) {
                realm = reply.string(AttributeType.REALM);
                nonce = reply.string(AttributeType.NONCE);
                key = LongTermKey.derive(username, realm, password);
                continue;
            }
            return reply;
        }
        throw new IOException("authentication did not converge");
    }

    public Reply allocate(Consumer<StunMessageBuilder> extra) throws IOException {
        return request(StunMethod.ALLOCATE, b -> {
            b.add(AttributeFactory.createRequestedTransportAttribute((byte) 17));
            extra.accept(b);
        });
    }

    /** REQUESTED-ADDRESS-FAMILY written raw: ice4j's encoder gives it a 1-byte value, not RFC 8656's 4. */
    static Consumer<StunMessageBuilder> requestedFamily(int family) {
        return familyAttribute(AttributeType.REQUESTED_ADDRESS_FAMILY, family);
    }

    static Consumer<StunMessageBuilder> additionalFamily(int family) {
        return familyAttribute(AttributeType.ADDITIONAL_ADDRESS_FAMILY, family);
    }

    private static Consumer<StunMessageBuilder> familyAttribute(int type, int family) {
        return b -> b.add(type, new byte[] {(byte) family, 0, 0, 0});
    }

    /**
     * Sends a signed Allocate and resets the connection once {@code serverAllocated} says the server holds the
     * allocation, without reading the answer: a client dying mid-allocation.
     */
    void allocateAndDie(java.util.function.BooleanSupplier serverAllocated) throws IOException,
            InterruptedException {
        sendSignedAllocate();
        // dies once the server holds the allocation (its response unread), so the test cannot pass on
        // connections that died before any allocation existed
        for (int i = 0; i < 250 && !serverAllocated.getAsBoolean(); i++) {
            Thread.sleep(20);
        }
        if (!serverAllocated.getAsBoolean()) {
            throw new AssertionError("the server created no allocation within 5 s");
        }
        socket.setSoLinger(true, 0); // RST, as a crashing client's kernel would
        socket.close();
    }

    /**
     * Sends a signed Allocate and closes gracefully at once (FIN, after close_notify over TLS), before any answer:
     * what Chromium does with the extra TURN connections it no longer needs once the answer arrives.
     */
    public void allocateAndLeave() throws IOException {
        sendSignedAllocate();
        socket.close();
    }

    private void sendSignedAllocate() throws IOException {
        if (nonce == null) {
            refresh(600); // learns realm and nonce (437: no allocation yet)
        }
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        write(StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, id)
                .add(AttributeFactory.createRequestedTransportAttribute((byte) 17))
                .add(AttributeFactory.createUsernameAttribute(username)).realm(realm).nonce(nonce)
                .encode("", key));
    }

    /** Allocate with REQUESTED-TRANSPORT TCP (RFC 6062 §4.1). */
    public Reply allocateTcp(Consumer<StunMessageBuilder> extra) throws IOException {
        return request(StunMethod.ALLOCATE, b -> {
            b.add(AttributeFactory.createRequestedTransportAttribute((byte) 6));
            extra.accept(b);
        });
    }

    public Reply connect(InetSocketAddress peer) throws IOException {
        return request(StunMethod.CONNECT, b -> b.xorPeerAddress(peer));
    }

    public Reply connectionBind(long connectionId) throws IOException {
        return request(StunMethod.CONNECTION_BIND, b -> b.connectionId(connectionId));
    }

    /** The next indication of {@code method} (e.g. ConnectionAttempt), skipping other frames. */
    Reply awaitIndication(int method) throws IOException {
        int type = StunMethod.type(method, StunClass.INDICATION);
        for (int i = 0; i < 10_000; i++) {
            byte[] frame = received.isEmpty() ? readFrame() : received.poll();
            Reply reply = new Reply(frame);
            if ((frame[0] & 0xC0) == 0 && reply.type() == type) {
                return reply;
            }
        }
        throw new IOException("no indication");
    }

    Reply createPermission(InetSocketAddress peer) throws IOException {
        return request(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peer));
    }

    Reply channelBind(int channel, InetSocketAddress peer) throws IOException {
        return request(StunMethod.CHANNEL_BIND, b -> b.add(AttributeFactory.createChannelNumberAttribute((char) channel))
                .xorPeerAddress(peer));
    }

    public Reply refresh(int lifetime) throws IOException {
        return request(StunMethod.REFRESH, b -> b.lifetime(lifetime));
    }

    /** ChannelData, padded to a multiple of four as streams require (RFC 8656 §12.5). */
    void sendChannelData(int channel, byte[] payload) throws IOException {
        int padded = (4 + payload.length + 3) & ~3;
        byte[] frame = new byte[padded];
        frame[0] = (byte) (channel >>> 8);
        frame[1] = (byte) channel;
        frame[2] = (byte) (payload.length >>> 8);
        frame[3] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 4, payload.length);
        write(frame);
    }

    void sendIndication(InetSocketAddress peer, byte[] payload) throws IOException {
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        write(StunMessageBuilder.of(StunMethod.SEND, StunClass.INDICATION, id).xorPeerAddress(peer)
                .add(AttributeFactory.createDataAttributeWithoutPadding(payload)).encode("", null));
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame from a peer: the payload of ChannelData or of a Data indication's DATA. */
    Data receive() throws IOException {
        byte[] frame = received.isEmpty() ? readFrame() : received.poll();
        while (!isData(frame)) {
            frame = readFrame();
        }
        if ((frame[0] & 0xC0) == 0x40) {
            int channel = ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF);
            return new Data(channel, null, Arrays.copyOfRange(frame, 4, frame.length));
        }
        Reply indication = new Reply(frame);
        return new Data(-1, indication.address(AttributeType.XOR_PEER_ADDRESS), indication.bytes(AttributeType.DATA));
    }

    private static boolean isData(byte[] frame) {
        int type = ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF);
        return (frame[0] & 0xC0) == 0x40 || type == 0x0017;
    }

    private Reply awaitResponse(byte[] id) throws IOException {
        for (int i = 0; i < 10_000; i++) {
            byte[] frame = readFrame();
            if ((frame[0] & 0xC0) == 0 && Arrays.equals(Arrays.copyOfRange(frame, 8, 20), id)) {
                return new Reply(frame);
            }
            received.add(frame);
        }
        throw new IOException("no response");
    }

    /** Reads one frame as framed on streams, without ChannelData padding. */
    byte[] readFrame() throws IOException {
        byte[] header = new byte[4];
        in.readFully(header);
        int length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
        boolean stun = (header[0] & 0xC0) == 0;
        int rest = stun ? 16 + length : length;
        byte[] frame = Arrays.copyOf(header, 4 + rest);
        in.readFully(frame, 4, rest);
        if (!stun) {
            in.skipNBytes(((length + 3) & ~3) - length);
        }
        return frame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** What a peer sent: on a channel ({@code peer} null) or in a Data indication ({@code channel} -1). */
    record Data(int channel, InetSocketAddress peer, byte[] payload) {
    }

    /** A STUN response or indication, read attribute by attribute. */
    public record Reply(byte[] raw) {
        int type() {
            return ((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF);
        }

        public boolean isSuccess() {
            return (type() & 0x0110) == 0x0100;
        }

        /** ERROR-CODE as a number, or 0 on success. */
        public int errorCode() {
            byte[] v = bytes(AttributeType.ERROR_CODE);
            return v == null ? 0 : (v[2] & 7) * 100 + (v[3] & 0xFF);
        }

        /** CONNECTION-ID (RFC 6062 §6.2) as an unsigned value, or -1. */
        public long connectionId() {
            byte[] v = bytes(AttributeType.CONNECTION_ID);
            return v == null ? -1 : Unpooled.wrappedBuffer(v).getUnsignedInt(0);
        }

        /** ADDRESS-ERROR-CODE as {family, code}, or null. */
        int[] addressErrorCode() {
            byte[] v = bytes(AttributeType.ADDRESS_ERROR_CODE);
            return v == null ? null : new int[] {v[0] & 0xFF, (v[2] & 7) * 100 + (v[3] & 0xFF)};
        }

        public List<InetSocketAddress> relayed() {
            return addresses(AttributeType.XOR_RELAYED_ADDRESS);
        }

        InetSocketAddress address(int type) {
            List<InetSocketAddress> all = addresses(type);
            return all.isEmpty() ? null : all.get(0);
        }

        String string(int type) {
            byte[] v = bytes(type);
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }

        byte[] bytes(int type) {
            for (int pos = 20; pos + 4 <= raw.length; ) {
                int t = ((raw[pos] & 0xFF) << 8) | (raw[pos + 1] & 0xFF);
                int len = ((raw[pos + 2] & 0xFF) << 8) | (raw[pos + 3] & 0xFF);
                if (t == type) {
                    return Arrays.copyOfRange(raw, pos + 4, pos + 4 + len);
                }
                pos += 4 + ((len + 3) & ~3);
            }
            return null;
        }

        List<InetSocketAddress> addresses(int type) {
            List<InetSocketAddress> found = new ArrayList<>();
            ByteBuf buf = Unpooled.wrappedBuffer(raw);
            for (int pos = 20; pos + 4 <= raw.length; ) {
                int t = buf.getUnsignedShort(pos);
                int len = buf.getUnsignedShort(pos + 2);
                if (t == type) {
                    found.add(XorAddress.decode(buf, 0, pos + 4, len));
                }
                pos += 4 + ((len + 3) & ~3);
            }
            return found;
        }
    }

    private static final class TrustingManager implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
