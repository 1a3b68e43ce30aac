package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.RelaySettings;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.testing.TurnTestClient;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A peer's burst through a UDP relay socket to a UDP client (the relay socket's receive buffer at work): 1000
 * datagrams of 1200 bytes, on a channel. Every datagram is accounted for: received by the client, or dropped by
 * the kernel at the relay socket or at the client's socket ({@code /proc/net/udp} counts both), or by the relay.
 * Prints the loss with the kernel's default buffer (the old behaviour) and with {@code relay.socket-receive-buffer}'s
 * default; a paced 2000 datagrams/s must arrive complete.
 */
class RelaySocketBurstIT {
    private static final int DATAGRAMS = 1000;
    private static final int SIZE = 1200;
    private static NettyTransport transport;

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, "burst-it", true);
    }

    @AfterAll
    static void stopLoops() {
        transport.shutdown();
    }

    /** What became of one burst. */
    record Outcome(long relayReceiveBuffer, int received, long relaySocketDrops, long clientSocketDrops,
            long relayDropped) {
        long lost() {
            return DATAGRAMS - received;
        }
    }

    @Test
    void burstLossWithTheNewDefaultVersusTheKernelDefault() throws Exception {
        Outcome kernelDefault = burst(0, 0);
        Outcome newDefault = burst(RelaySettings.DEFAULT_SOCKET_RECEIVE_BUFFER, 0);
        System.out.printf("burst of %d x %d B from a peer: relay.socket-receive-buffer=0 (kernel default, "
                + "net.core.rmem_default %s): lost %d (relay socket %d, client socket %d); =%d (new default, "
                + "net.core.rmem_max %s): lost %d (relay socket %d, client socket %d)%n", DATAGRAMS, SIZE,
                sysctl("rmem_default"),
                kernelDefault.lost(), kernelDefault.relaySocketDrops(), kernelDefault.clientSocketDrops(),
                RelaySettings.DEFAULT_SOCKET_RECEIVE_BUFFER, sysctl("rmem_max"), newDefault.lost(),
                newDefault.relaySocketDrops(),
                newDefault.clientSocketDrops());
        // the kernel doubles what is asked for (its bookkeeping), up to twice net.core.rmem_max
        assertThat(kernelDefault.relayReceiveBuffer()).isEqualTo(Long.parseLong(sysctl("rmem_default")));
        assertThat(newDefault.relayReceiveBuffer()).isEqualTo(
                2 * Math.min(RelaySettings.DEFAULT_SOCKET_RECEIVE_BUFFER, Long.parseLong(sysctl("rmem_max"))));
        for (Outcome o : List.of(kernelDefault, newDefault)) {
            assertThat(o.received() + o.relaySocketDrops() + o.clientSocketDrops() + o.relayDropped())
                    .as("every datagram accounted for: %s", o).isEqualTo(DATAGRAMS);
        }
    }

    @Test
    void noLossAtAPaced2000DatagramsPerSecond() throws Exception {
        Outcome paced = burst(RelaySettings.DEFAULT_SOCKET_RECEIVE_BUFFER, TimeUnit.SECONDS.toNanos(1) / 2000);
        System.out.printf("paced 2000/s, %d x %d B: lost %d%n", DATAGRAMS, SIZE, paced.lost());
        assertThat(paced.received()).as("%s", paced).isEqualTo(DATAGRAMS);
        assertThat(paced.relaySocketDrops() + paced.clientSocketDrops() + paced.relayDropped()).isZero();
    }

    /** One allocation on a fresh server, one peer sending {@link #DATAGRAMS} on a channel, {@code gap} apart. */
    private static Outcome burst(int receiveBuffer, long gapNanos) throws Exception {
        RelayServer server = new RelayServer(TestSettings.loopback("listeners.tcp=", "listeners.tls=",
                "relay.socket-receive-buffer=" + receiveBuffer), Clock.systemUTC(), transport);
        try (server; TurnTestClient client = new TurnTestClient(server.start().get(0));
                DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.restCredential(TestSettings.SECRET, "burst", Clock.systemUTC().instant());
            // the client's own socket must not be where datagrams are lost
            client.socket().setReceiveBufferSize(4 << 20);
            InetSocketAddress relayed = retransmitting(client::allocate).xorRelayedAddress();
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();
            assertThat(retransmitting(() -> client.signed(StunMethod.CHANNEL_BIND,
                    b -> b.channelNumber(0x4001).xorPeerAddress(peerAddress))).messageClass())
                    .isEqualTo(StunClass.SUCCESS_RESPONSE);
            long relayDroppedBefore = server.context().stats().dataDropped.sum();
            long relayDropsBefore = kernelDrops(relayed.getPort());
            long clientDropsBefore = kernelDrops(client.localAddress().getPort());

            AtomicInteger received = new AtomicInteger();
            Thread reader = new Thread(() -> receiveAll(client.socket(), received), "burst-client");
            reader.start();
            byte[] payload = new byte[SIZE];
            long start = System.nanoTime();
            for (int i = 0; i < DATAGRAMS; i++) {
                if (gapNanos > 0) {
                    long due = start + i * gapNanos;
                    while (System.nanoTime() < due) {
                        LockSupport.parkNanos(due - System.nanoTime());
                    }
                }
                payload[0] = (byte) i;
                peer.send(new DatagramPacket(payload, SIZE, relayed));
            }
            reader.join(30_000);
            return new Outcome(SocketMemory.of(true, relayed.getPort()).receiveBuffer(), received.get(), kernelDrops(relayed.getPort()) - relayDropsBefore,
                    kernelDrops(client.localAddress().getPort()) - clientDropsBefore,
                    server.context().stats().dataDropped.sum() - relayDroppedBefore);
        }
    }

    /** A UDP client repeats a request that got no answer (RFC 8489 §6.2.1); a loaded machine may need it. */
    private static StunMessage retransmitting(Supplier<StunMessage> request) {
        AssertionError last = null;
        for (int i = 0; i < 5; i++) {
            try {
                return request.get();
            } catch (AssertionError noResponse) {
                last = noResponse;
            }
        }
        throw last;
    }

    /** Counts ChannelData until all arrived or nothing more came for a second. */
    private static void receiveAll(DatagramSocket socket, AtomicInteger received) {
        byte[] buf = new byte[2048];
        try {
            socket.setSoTimeout(1000);
            while (received.get() < DATAGRAMS) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                if (p.getLength() == 4 + SIZE && (buf[0] & 0xC0) == 0x40) {
                    received.incrementAndGet();
                }
            }
        } catch (SocketTimeoutException e) {
            // the rest was lost
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The kernel's drop count of the UDP socket bound to {@code port} on loopback: the last column of
     * /proc/net/udp, or of udp6 for a dual-stack socket (Java's own sockets, and Netty's, are often IPv6 ones).
     */
    private static long kernelDrops(int port) throws IOException {
        String suffix = String.format(":%04X", port);
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 12 && f[1].endsWith(suffix) && f[1].contains("0100007F")) {
                    return Long.parseLong(f[f.length - 1]);
                }
            }
        }
        throw new AssertionError("no UDP socket on port " + port + " in /proc/net/udp or udp6");
    }

    private static String sysctl(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/sys/net/core", name)).get(0).trim();
    }
}
