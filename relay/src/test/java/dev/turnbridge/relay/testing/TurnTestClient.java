package dev.turnbridge.relay.testing;

import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.config.Secret;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.stun.StunParseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A small blocking TURN client over UDP for loopback tests: sends requests, follows the 401 challenge, signs
 * with the long-term key and checks MESSAGE-INTEGRITY on signed responses.
 */
public final class TurnTestClient implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress server;
    private String username;
    private String password;
    private String realm;
    private String nonce;

    public TurnTestClient(InetSocketAddress server) {
        this.server = server;
        try {
            this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            socket.setSoTimeout(2000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Uses a REST credential for {@code id} minted with {@code secret}, valid for an hour from {@code now}. */
    public TurnTestClient restCredential(String secret, String id, Instant now) {
        var c = RestCredentials.issue(new Secret(secret), id, Duration.ofHours(1), now);
        return credentials(c.username(), c.password());
    }

    public TurnTestClient credentials(String username, String password) {
        this.username = username;
        this.password = password;
        return this;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public DatagramSocket socket() {
        return socket;
    }

    public String nonce() {
        return nonce;
    }

    public static byte[] newTransactionId() {
        byte[] id = new byte[12];
        ThreadLocalRandom.current().nextBytes(id);
        return id;
    }

    public byte[] key() {
        return LongTermKey.derive(username, realm, password);
    }

    /** Sends an unsigned request and returns the response. */
    public StunMessage plain(int method, Consumer<StunMessageBuilder> attributes) {
        StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, newTransactionId());
        attributes.accept(b);
        return exchange(b.encode("", null));
    }

    /**
     * Sends a signed request, first learning REALM and NONCE from a 401 (or a 438) when needed, and returns
     * the final response. Signed responses must carry a valid MESSAGE-INTEGRITY.
     */
    public StunMessage signed(int method, Consumer<StunMessageBuilder> attributes) {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (nonce == null) {
                StunMessage challenge = plain(method, attributes);
                if (challenge.errorCode() != 401) {
                    return challenge;
                }
                learn(challenge);
            }
            StunMessage response = exchange(signedBytes(method, newTransactionId(), attributes));
            if (response.errorCode() == 438) {
                learn(response);
                continue;
            }
            if (response.errorCode() != 401) {
                if (!MessageIntegrity.verify(response, key())) {
                    throw new AssertionError("response without valid MESSAGE-INTEGRITY: " + response);
                }
            }
            return response;
        }
        throw new AssertionError("kept getting 438");
    }

    public byte[] signedBytes(int method, byte[] transactionId, Consumer<StunMessageBuilder> attributes) {
        StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, transactionId);
        attributes.accept(b);
        b.username(username).realm(realm).nonce(nonce);
        return b.encode("", key());
    }

    public void learn(StunMessage challenge) {
        this.realm = challenge.realm();
        this.nonce = challenge.nonce();
    }

    public StunMessage allocate() {
        return signed(StunMethod.ALLOCATE, b -> b.requestedTransport(17));
    }

    /** Sends raw bytes and waits for a STUN response with the same transaction ID. */
    public StunMessage exchange(byte[] request) {
        send(request);
        byte[] id = Arrays.copyOfRange(request, 8, 20);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] b = receive();
            if (b == null) {
                break;
            }
            if (b.length >= 20 && (b[0] & 0xC0) == 0 && Arrays.equals(Arrays.copyOfRange(b, 8, 20), id)) {
                return decode(b);
            }
        }
        throw new AssertionError("no response");
    }

    public void send(byte[] bytes) {
        sendTo(bytes, server);
    }

    public void sendTo(byte[] bytes, InetSocketAddress to) {
        try {
            socket.send(new DatagramPacket(bytes, bytes.length, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next datagram, or null after the socket timeout. */
    public byte[] receive() {
        return receive(socket);
    }

    public static byte[] receive(DatagramSocket s) {
        byte[] buf = new byte[65536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
            return Arrays.copyOf(buf, p.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static StunMessage decode(byte[] b) {
        try {
            return StunDecoder.decode(b, b.length);
        } catch (StunParseException e) {
            throw new AssertionError("undecodable: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
