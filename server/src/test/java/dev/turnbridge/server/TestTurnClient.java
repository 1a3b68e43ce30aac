package dev.turnbridge.server;

import dev.turnbridge.relay.auth.LongTermKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A minimal blocking TURN-over-UDP client for loopback tests, written from RFC 8489/8656 without the server's
 * codec (so the two check each other): long-term credentials, Allocate, Refresh, CreatePermission,
 * ChannelBind, Send/Data indications and ChannelData. IPv4 only.
 */
final class TestTurnClient implements AutoCloseable {
    static final int BINDING = 0x001;
    static final int ALLOCATE = 0x003;
    static final int REFRESH = 0x004;
    static final int SEND = 0x006;
    static final int DATA = 0x007;
    static final int CREATE_PERMISSION = 0x008;
    static final int CHANNEL_BIND = 0x009;

    static final int USERNAME = 0x0006;
    static final int MESSAGE_INTEGRITY = 0x0008;
    static final int ERROR_CODE = 0x0009;
    static final int CHANNEL_NUMBER = 0x000C;
    static final int LIFETIME = 0x000D;
    static final int XOR_PEER_ADDRESS = 0x0012;
    static final int DATA_ATTR = 0x0013;
    static final int REALM = 0x0014;
    static final int NONCE = 0x0015;
    static final int XOR_RELAYED_ADDRESS = 0x0016;
    static final int REQUESTED_TRANSPORT = 0x0019;
    static final int ALTERNATE_SERVER = 0x8023;
    private static final int COOKIE = 0x2112A442;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DatagramSocket socket;
    private final InetSocketAddress server;
    private final String username;
    private final String password;
    private String realm;
    private String nonce;
    private byte[] key;

    TestTurnClient(InetSocketAddress server, String username, String password) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.socket.setSoTimeout(3000);
        this.server = server;
        this.username = username;
        this.password = password;
    }

    /** A decoded response or indication. */
    record Message(int type, byte[] transactionId, Map<Integer, byte[]> attributes) {
        int method() {
            return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
        }

        boolean isSuccess() {
            return (type & 0x0110) == 0x0100;
        }

        /** The ERROR-CODE number, or 0 when there is none. */
        int errorCode() {
            byte[] v = attributes.get(ERROR_CODE);
            return v == null ? 0 : (v[2] & 0x7) * 100 + (v[3] & 0xFF);
        }

        String text(int attribute) {
            byte[] v = attributes.get(attribute);
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }

        InetSocketAddress xorAddress(int attribute) {
            byte[] v = attributes.get(attribute);
            int port = ((v[2] & 0xFF) << 8 | (v[3] & 0xFF)) ^ (COOKIE >>> 16);
            byte[] ip = new byte[4];
            for (int i = 0; i < 4; i++) {
                ip[i] = (byte) (v[4 + i] ^ (COOKIE >>> (24 - 8 * i)));
            }
            return new InetSocketAddress(address(ip), port);
        }

        InetSocketAddress plainAddress(int attribute) {
            byte[] v = attributes.get(attribute);
            int port = (v[2] & 0xFF) << 8 | (v[3] & 0xFF);
            return new InetSocketAddress(address(Arrays.copyOfRange(v, 4, v.length)), port);
        }
    }

    Message binding() throws IOException {
        return transact(BINDING, new Attrs(), false);
    }

    /** Allocate with the 401 round trip: unauthenticated first, then signed with the realm and nonce. */
    Message allocate() throws IOException {
        Message challenge = transact(ALLOCATE, new Attrs().add(REQUESTED_TRANSPORT, new byte[] {17, 0, 0, 0}), false);
        if (challenge.errorCode() != 401) {
            throw new IllegalStateException("expected 401, got " + challenge.errorCode());
        }
        realm = challenge.text(REALM);
        nonce = challenge.text(NONCE);
        key = LongTermKey.derive(username, realm, password);
        return transact(ALLOCATE, new Attrs().add(REQUESTED_TRANSPORT, new byte[] {17, 0, 0, 0}), true);
    }

    Message refresh(int lifetime) throws IOException {
        return transact(REFRESH, new Attrs().add(LIFETIME, ByteBuffer.allocate(4).putInt(lifetime).array()), true);
    }

    Message createPermission(InetSocketAddress peer) throws IOException {
        return transact(CREATE_PERMISSION, new Attrs().add(XOR_PEER_ADDRESS, xor(peer)), true);
    }

    Message channelBind(int channel, InetSocketAddress peer) throws IOException {
        return transact(CHANNEL_BIND, new Attrs()
                .add(CHANNEL_NUMBER, new byte[] {(byte) (channel >> 8), (byte) channel, 0, 0})
                .add(XOR_PEER_ADDRESS, xor(peer)), true);
    }

    void send(InetSocketAddress peer, byte[] data) throws IOException {
        byte[] m = encode(0x0016, newTransactionId(), new Attrs().add(XOR_PEER_ADDRESS, xor(peer)).add(DATA_ATTR, data),
                false);
        socket.send(new DatagramPacket(m, m.length, server));
    }

    void channelData(int channel, byte[] data) throws IOException {
        byte[] m = new byte[4 + data.length + ((4 - data.length % 4) % 4)];
        m[0] = (byte) (channel >> 8);
        m[1] = (byte) channel;
        m[2] = (byte) (data.length >> 8);
        m[3] = (byte) data.length;
        System.arraycopy(data, 0, m, 4, data.length);
        socket.send(new DatagramPacket(m, m.length, server));
    }

    /** The next datagram from the server. */
    byte[] receive() throws IOException {
        byte[] buf = new byte[9000];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        return Arrays.copyOf(buf, p.getLength());
    }

    /** The payload of the next Data indication. */
    byte[] receiveDataIndication() throws IOException {
        Message m = decode(receive());
        if (m.type() != 0x0017) {
            throw new IllegalStateException("expected a Data indication, got type " + m.type());
        }
        return m.attributes().get(DATA_ATTR);
    }

    /** The payload of the next ChannelData message on {@code channel}. */
    byte[] receiveChannelData(int channel) throws IOException {
        byte[] b = receive();
        int number = (b[0] & 0xFF) << 8 | (b[1] & 0xFF);
        if (number != channel) {
            throw new IllegalStateException("expected ChannelData on " + channel + ", got first bytes " + number);
        }
        int length = (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
        return Arrays.copyOfRange(b, 4, 4 + length);
    }

    private Message transact(int method, Attrs attrs, boolean sign) throws IOException {
        byte[] tid = newTransactionId();
        byte[] request = encode(method, tid, attrs, sign);
        for (int attempt = 0; attempt < 3; attempt++) {
            socket.send(new DatagramPacket(request, request.length, server));
            try {
                while (true) {
                    Message m = decode(receive());
                    if (Arrays.equals(m.transactionId(), tid)) {
                        return m;
                    }
                }
            } catch (SocketTimeoutException e) {
                // retransmit
            }
        }
        throw new SocketTimeoutException("no response to method " + method);
    }

    private byte[] encode(int type, byte[] tid, Attrs attrs, boolean sign) {
        if (sign) {
            attrs.add(USERNAME, username.getBytes(StandardCharsets.UTF_8))
                    .add(REALM, realm.getBytes(StandardCharsets.UTF_8))
                    .add(NONCE, nonce.getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = attrs.bytes();
        int length = body.length + (sign ? 24 : 0);
        ByteBuffer b = ByteBuffer.allocate(20 + length);
        b.putShort((short) type).putShort((short) length).putInt(COOKIE).put(tid).put(body);
        if (sign) {
            byte[] mac = hmacSha1(key, Arrays.copyOf(b.array(), 20 + body.length));
            b.putShort((short) MESSAGE_INTEGRITY).putShort((short) 20).put(mac);
        }
        return b.array();
    }

    static Message decode(byte[] m) {
        int type = (m[0] & 0xFF) << 8 | (m[1] & 0xFF);
        int length = (m[2] & 0xFF) << 8 | (m[3] & 0xFF);
        Map<Integer, byte[]> attributes = new LinkedHashMap<>();
        int pos = 20;
        while (pos + 4 <= 20 + length) {
            int t = (m[pos] & 0xFF) << 8 | (m[pos + 1] & 0xFF);
            int l = (m[pos + 2] & 0xFF) << 8 | (m[pos + 3] & 0xFF);
            attributes.putIfAbsent(t, Arrays.copyOfRange(m, pos + 4, pos + 4 + l));
            pos += 4 + l + ((4 - l % 4) % 4);
        }
        return new Message(type, Arrays.copyOfRange(m, 8, 20), attributes);
    }

    private static byte[] xor(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        ByteBuffer b = ByteBuffer.allocate(8);
        b.put((byte) 0).put((byte) 1).putShort((short) (a.getPort() ^ (COOKIE >>> 16)));
        for (int i = 0; i < 4; i++) {
            b.put((byte) (ip[i] ^ (COOKIE >>> (24 - 8 * i))));
        }
        return b.array();
    }

    private static InetAddress address(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] newTransactionId() {
        byte[] tid = new byte[12];
        RANDOM.nextBytes(tid);
        return tid;
    }

    private static byte[] hmacSha1(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        socket.close();
    }

    /** Attributes in order, each padded to 4 bytes. */
    static final class Attrs {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Attrs add(int type, byte[] value) {
            out.write(type >> 8);
            out.write(type);
            out.write(value.length >> 8);
            out.write(value.length);
            out.writeBytes(value);
            for (int i = value.length; i % 4 != 0; i++) {
                out.write(0);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
