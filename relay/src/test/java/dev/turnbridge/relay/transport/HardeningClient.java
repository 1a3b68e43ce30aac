package dev.turnbridge.relay.transport;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.TurnTestClient;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Consumer;
import javax.net.ssl.SSLSocket;

/**
 * One raw TURN client for every client transport (UDP, TCP, TLS): sends encoded requests and returns the raw
 * response with the same transaction ID, so tests can compare responses byte for byte across transports.
 * Follows the long-term credential dance (401, then signed; 438, then signed again).
 */
final class HardeningClient implements AutoCloseable {
    enum Transport { UDP, TCP, TLS }

    private final Transport transport;
    private final InetSocketAddress server;
    private final DatagramSocket udp;
    private final Socket stream;
    private final DataInputStream in;
    private final OutputStream out;
    private String username;
    private String password;
    private String realm;
    private String nonce;

    private HardeningClient(Transport transport, InetSocketAddress server) throws Exception {
        this.transport = transport;
        this.server = server;
        if (transport == Transport.UDP) {
            udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            udp.setSoTimeout(3000);
            stream = null;
            in = null;
            out = null;
        } else {
            udp = null;
            if (transport == Transport.TCP) {
                stream = new Socket();
                stream.connect(server, 5000);
            } else {
                SSLSocket s = (SSLSocket) StreamTurnClient.trustingContext().getSocketFactory().createSocket();
                s.connect(server, 5000);
                s.startHandshake();
                stream = s;
            }
            stream.setSoTimeout(5000);
            in = new DataInputStream(stream.getInputStream());
            out = stream.getOutputStream();
        }
    }

    /** A client of {@code server} over {@code transport}. */
    static HardeningClient open(Transport transport, RelayServer server, InetSocketAddress udpAddress)
            throws Exception {
        InetSocketAddress address = switch (transport) {
            case UDP -> udpAddress;
            case TCP -> server.tcpAddresses().get(0);
            case TLS -> server.tlsAddresses().get(0);
        };
        return new HardeningClient(transport, address);
    }

    Transport transport() {
        return transport;
    }

    HardeningClient credentials(String username, String password) {
        this.username = username;
        this.password = password;
        return this;
    }

    HardeningClient restCredential(String secret, String id, Instant now) {
        var c = RestCredentials.issue(new Secret(secret), id, Duration.ofHours(1), now);
        return credentials(c.username(), c.password());
    }

    String nonce() {
        return nonce;
    }

    void learn(StunMessage challenge) {
        realm = challenge.realm();
        nonce = challenge.nonce();
    }

    byte[] key() {
        return LongTermKey.derive(username, realm, password);
    }

    /** A request signed with the current credentials, realm and nonce. */
    byte[] signedBytes(int method, Consumer<StunMessageBuilder> attributes) {
        StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, TurnTestClient.newTransactionId());
        attributes.accept(b);
        b.username(username).realm(realm).nonce(nonce);
        return b.encode("", key());
    }

    static byte[] plainBytes(int method, Consumer<StunMessageBuilder> attributes) {
        StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, TurnTestClient.newTransactionId());
        attributes.accept(b);
        return b.encode("", null);
    }

    /** Sends a signed request (learning realm and nonce first when needed) and returns the final response. */
    StunMessage signed(int method, Consumer<StunMessageBuilder> attributes) {
        if (nonce == null) {
            StunMessage challenge = TurnTestClient.decode(exchange(plainBytes(method, attributes)));
            if (challenge.errorCode() != 401) {
                return challenge;
            }
            learn(challenge);
        }
        StunMessage response = TurnTestClient.decode(exchange(signedBytes(method, attributes)));
        if (response.errorCode() == 438) {
            learn(response);
            response = TurnTestClient.decode(exchange(signedBytes(method, attributes)));
        }
        return response;
    }

    /** The error code of a signed request, 0 on success. */
    int code(int method, Consumer<StunMessageBuilder> attributes) {
        StunMessage r = signed(method, attributes);
        return r.messageClass() == StunClass.SUCCESS_RESPONSE ? 0 : r.errorCode();
    }

    /** Sends {@code request} and returns the raw response with its transaction ID. */
    byte[] exchange(byte[] request) {
        send(request);
        byte[] id = Arrays.copyOfRange(request, 8, 20);
        for (int i = 0; i < 1000; i++) {
            byte[] b = receive();
            if (b == null) {
                break;
            }
            if (b.length >= 20 && (b[0] & 0xC0) == 0 && Arrays.equals(Arrays.copyOfRange(b, 8, 20), id)) {
                return b;
            }
        }
        throw new AssertionError(transport + ": no response");
    }

    void send(byte[] bytes) {
        try {
            if (udp != null) {
                udp.send(new DatagramPacket(bytes, bytes.length, server));
            } else {
                out.write(bytes);
                int pad = ((bytes.length + 3) & ~3) - bytes.length; // ChannelData on streams is padded
                out.write(new byte[pad]);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next message or frame, or null on timeout (UDP) or end of stream. */
    byte[] receive() {
        try {
            if (udp != null) {
                return TurnTestClient.receive(udp);
            }
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
        } catch (java.net.SocketTimeoutException | java.io.EOFException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Allocate for IPv4, plus IPv6 when {@code dual} (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1). */
    StunMessage allocate(boolean dual) {
        return allocate(dual, 17);
    }

    /** Allocate with REQUESTED-TRANSPORT {@code protocol}: 17 (UDP), or 6 (TCP, RFC 6062; TCP and TLS only). */
    StunMessage allocate(boolean dual, int protocol) {
        return signed(StunMethod.ALLOCATE, dual
                ? StreamTurnClient.additionalFamily(2).andThen(b -> b.requestedTransport(protocol))
                : b -> b.requestedTransport(protocol));
    }

    @Override
    public void close() throws IOException {
        if (udp != null) {
            udp.close();
        } else {
            stream.close();
        }
    }
}
