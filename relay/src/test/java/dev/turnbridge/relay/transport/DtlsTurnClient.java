package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.function.Consumer;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.UDPTransport;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.ice4j.attribute.AttributeFactory;

/**
 * A blocking TURN client over DTLS 1.2 (Bouncy Castle's client) for loopback tests: long-term authentication,
 * Allocate, CreatePermission, ChannelBind, Send indications and ChannelData (unpadded, as on UDP), and what
 * peers send back. Trusts any server certificate (ours is self-signed in tests).
 */
final class DtlsTurnClient implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TIMEOUT_MILLIS = 5000;

    private final DatagramSocket socket;
    private final DTLSTransport dtls;
    private final String username;
    private final String password;
    private final Deque<byte[]> received = new ArrayDeque<>();
    private final int[] negotiatedSuite = new int[1];
    private String realm;
    private String nonce;
    private byte[] key;

    DtlsTurnClient(InetSocketAddress server, String username, String password) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        socket.connect(server);
        this.username = username;
        this.password = password;
        BcTlsCrypto crypto = new BcTlsCrypto(RANDOM);
        DefaultTlsClient client = new DefaultTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.DTLSv12.only();
            }

            @Override
            public int getHandshakeTimeoutMillis() {
                return TIMEOUT_MILLIS;
            }

            @Override
            public void notifySelectedCipherSuite(int selectedCipherSuite) {
                negotiatedSuite[0] = selectedCipherSuite;
            }

            @Override
            public TlsAuthentication getAuthentication() {
                return new ServerOnlyTlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate certificate) {
                        // trusted: the test server's certificate is self-signed
                    }
                };
            }
        };
        try {
            // BC closes its transport after close_notify; the socket stays open for what the server answers
            this.dtls = new DTLSClientProtocol().connect(client, new UDPTransport(socket, 1500) {
                @Override
                public void close() {
                }
            });
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    DatagramSocket socket() {
        return socket;
    }

    int cipherSuite() {
        return negotiatedSuite[0];
    }

    StreamTurnClient.Reply request(int method, Consumer<StunMessageBuilder> attributes) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            byte[] id = new byte[12];
            RANDOM.nextBytes(id);
            StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, id);
            attributes.accept(b);
            if (nonce != null) {
                b.add(AttributeFactory.createUsernameAttribute(username)).realm(realm).nonce(nonce);
            }
            write(b.encode("", nonce != null ? key : null));
            StreamTurnClient.Reply reply = awaitResponse(id);
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

    StreamTurnClient.Reply allocate() throws IOException {
        return request(StunMethod.ALLOCATE, b -> b.add(AttributeFactory.createRequestedTransportAttribute((byte) 17)));
    }

    StreamTurnClient.Reply createPermission(InetSocketAddress peer) throws IOException {
        return request(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peer));
    }

    StreamTurnClient.Reply channelBind(int channel, InetSocketAddress peer) throws IOException {
        return request(StunMethod.CHANNEL_BIND, b -> b.add(AttributeFactory.createChannelNumberAttribute((char) channel))
                .xorPeerAddress(peer));
    }

    /** ChannelData as on UDP: no padding (RFC 8656 §12.5). */
    void sendChannelData(int channel, byte[] payload) throws IOException {
        byte[] frame = new byte[4 + payload.length];
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
        dtls.send(bytes, 0, bytes.length);
    }

    /** The next message from a peer: the payload of ChannelData (exactly, unpadded) or of a Data indication. */
    StreamTurnClient.Data receive() throws IOException {
        byte[] message = received.isEmpty() ? read() : received.poll();
        while (!isData(message)) {
            message = read();
        }
        if ((message[0] & 0xC0) == 0x40) {
            int channel = ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
            int length = ((message[2] & 0xFF) << 8) | (message[3] & 0xFF);
            if (message.length != 4 + length) {
                throw new IOException("ChannelData of " + length + " bytes in a record of " + message.length);
            }
            return new StreamTurnClient.Data(channel, null, Arrays.copyOfRange(message, 4, message.length));
        }
        StreamTurnClient.Reply indication = new StreamTurnClient.Reply(message);
        return new StreamTurnClient.Data(-1, indication.address(AttributeType.XOR_PEER_ADDRESS),
                indication.bytes(AttributeType.DATA));
    }

    private static boolean isData(byte[] message) {
        int type = ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
        return (message[0] & 0xC0) == 0x40 || type == 0x0017;
    }

    private StreamTurnClient.Reply awaitResponse(byte[] id) throws IOException {
        for (int i = 0; i < 1000; i++) {
            byte[] message = read();
            if ((message[0] & 0xC0) == 0 && Arrays.equals(Arrays.copyOfRange(message, 8, 20), id)) {
                return new StreamTurnClient.Reply(message);
            }
            received.add(message);
        }
        throw new IOException("no response");
    }

    /** One decrypted record. */
    byte[] read() throws IOException {
        byte[] buf = new byte[dtls.getReceiveLimit()];
        int n = dtls.receive(buf, 0, buf.length, TIMEOUT_MILLIS);
        if (n < 0) {
            throw new IOException("nothing received in " + TIMEOUT_MILLIS + " ms");
        }
        return Arrays.copyOf(buf, n);
    }

    /** Sends close_notify and nothing else; {@link #socket} stays open. */
    void sendCloseNotify() throws IOException {
        dtls.close();
    }

    /**
     * Reads raw datagrams until a record of content type alert (21), encrypted as it is, arrives; fails if none
     * does within {@code millis}.
     */
    void awaitAlertRecord(int millis) throws IOException {
        socket.setSoTimeout(millis);
        byte[] buf = new byte[2048];
        for (int i = 0; i < 1000; i++) {
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            socket.receive(p);
            if (p.getLength() >= 13 && buf[0] == 21) {
                return;
            }
        }
        throw new IOException("no alert record");
    }

    /** Ends the association with close_notify, as a well-behaved client leaves. */
    @Override
    public void close() throws IOException {
        try {
            dtls.close();
        } finally {
            socket.close();
        }
    }
}
