package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.Ipv6Loopback;
import dev.turnbridge.relay.testing.TestSettings;
import dev.turnbridge.relay.testing.TurnTestClient;
import dev.turnbridge.relay.transport.HardeningClient.Transport;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The peer refusal matrix (CVE-2020-26262 and its IPv6 spellings): every client transport x every way to name
 * a peer x every internal, special-purpose or reserved address, each refused by default (403, or a dropped
 * Send indication that never reaches a listening socket) and re-opened only by its own allow entry. IPv6
 * spellings travel as IPv6 XOR-PEER-ADDRESS (family 0x02, also for ::ffff:a.b.c.d) on a dual allocation,
 * so a family mismatch (443) never hides the policy. Without {@code ::1} the IPv4 rows still run (on IPv4
 * allocations) and the test then stops as skipped, or failed under scripts/test (see {@link Ipv6Loopback}).
 */
class RefusalMatrixIT {
    /**
     * How a client names a peer (RFC 8656 §9-§12, RFC 6062 §5.2). Connect needs a TCP allocation, so a TCP or
     * TLS control connection.
     */
    enum Naming {
        CREATE_PERMISSION, CHANNEL_BIND, SEND, CONNECT;

        boolean runsOver(Transport transport) {
            return this != CONNECT || transport != Transport.UDP;
        }

        /** REQUESTED-TRANSPORT of the allocation this naming needs. */
        int protocol() {
            return this == CONNECT ? 6 : 17;
        }
    }

    /** One address as written on the wire, and the allow entry that re-opens it. */
    record Peer(String spelling, byte[] address, String allow) {
        boolean ipv4() {
            return address.length == 4;
        }

        @Override
        public String toString() {
            return spelling;
        }
    }

    static final List<Peer> PEERS = List.of(
            v4("127.0.0.1"), v4("127.254.0.1"),
            v4("0.0.0.0"), v4("0.1.2.3"),
            v4("10.0.0.1"), v4("172.16.5.4"), v4("192.168.1.1"),
            v4("100.64.0.1"),
            v4("169.254.169.254"), v4("169.254.0.1"),
            v4("224.0.0.1"), v4("239.255.255.250"), v4("255.255.255.255"),
            v4("240.0.0.1"), v4("192.0.0.8"), v4("198.18.0.1"), v4("192.0.2.1"),
            v6("::1"), v6("::"),
            v6("::ffff:127.0.0.1", "127.0.0.1/32"), v6("::ffff:10.0.0.1", "10.0.0.1/32"),
            v6("::ffff:169.254.169.254", "169.254.169.254/32"), v6("::ffff:0.0.0.0", "0.0.0.0/32"),
            v6("::127.0.0.1", "127.0.0.1/32"), v6("::10.0.0.1", "10.0.0.1/32"),
            v6("64:ff9b::7f00:1", "127.0.0.1/32"), v6("64:ff9b::a9fe:a9fe", "169.254.169.254/32"),
            v6("64:ff9b::c0a8:101", "192.168.1.1/32"),
            v6("2002:7f00:1::1", "127.0.0.1/32"), v6("2002:a00:1::", "10.0.0.1/32"),
            v6("2002:a9fe:a9fe::1", "169.254.169.254/32"),
            v6("fe80::1"), v6("febf:ffff::1"),
            v6("fc00::1"), v6("fd12:3456:789a::1"),
            v6("ff02::1"), v6("ff05::1:3"), v6("ff0e::1"),
            v6("2001:db8::1"), v6("100::1"), v6("fec0::1"));

    private static NettyTransport loops;
    private final MutableClock clock = MutableClock.now();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RelayServer server;
    private InetSocketAddress udpAddress;
    private final boolean ipv6 = Ipv6Loopback.available();
    private DatagramSocket listener4;
    private DatagramSocket listener6;

    private static Peer v4(String ip) {
        return new Peer(ip, literal(ip), ip + "/32");
    }

    private static Peer v6(String ip) {
        return new Peer(ip, literal(ip), ip + "/128");
    }

    private static Peer v6(String ip, String allow) {
        return new Peer(ip, literal(ip), allow);
    }

    /** The 16 bytes of an IPv6 literal even for ::ffff:a.b.c.d, which Java would turn into 4. */
    private static byte[] literal(String ip) {
        try {
            if (ip.startsWith("::ffff:") && ip.contains(".")) {
                byte[] v4 = InetAddress.getByName(ip.substring(7)).getAddress();
                byte[] b = new byte[16];
                b[10] = (byte) 0xFF;
                b[11] = (byte) 0xFF;
                System.arraycopy(v4, 0, b, 12, 4);
                return b;
            }
            return InetAddress.getByName(ip).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    @BeforeAll
    static void startLoops() {
        loops = NettyTransport.create(2, "refusal-it", true);
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdown();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(String... overrides) throws Exception {
        List<String> all = new ArrayList<>(List.of(
                // relay ports above the kernel's ephemeral range, so no test peer port is ever a relay port
                "relay.port-min=61000", "relay.port-max=64999"));
        if (ipv6) {
            all.add("relay.address-v6=::1");
        }
        all.addAll(Arrays.asList(overrides));
        server = new RelayServer(TestSettings.loopback(all.toArray(String[]::new)), clock, loops);
        udpAddress = server.start().get(0);
        listener4 = listener("127.0.0.1");
        listener6 = ipv6 ? listener("::1") : null;
    }

    /** The rows this machine can run: all of them, or the IPv4 ones where ::1 is missing. */
    private List<Peer> peers() {
        return PEERS.stream().filter(p -> ipv6 || p.ipv4()).toList();
    }

    private DatagramSocket listener(String ip) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
        s.setSoTimeout(300);
        closeables.add(s);
        return s;
    }

    private HardeningClient client(Transport transport, String user) throws Exception {
        HardeningClient c = HardeningClient.open(transport, server, udpAddress)
                .restCredential(TestSettings.SECRET, user, clock.instant());
        closeables.add(c);
        return c;
    }

    private RelayStats stats() {
        return server.context().stats();
    }

    private int port(Peer p) {
        return p.ipv4() ? listener4.getLocalPort() : listener6.getLocalPort();
    }

    static Stream<Arguments> matrix() {
        return Stream.of(Transport.values())
                .flatMap(t -> Stream.of(Naming.values()).filter(n -> n.runsOver(t)).map(n -> Arguments.of(t, n)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("matrix")
    void everyInternalSpellingIsRefusedByDefault(Transport transport, Naming naming) throws Exception {
        start("peers.allow=");
        HardeningClient c = client(transport, "alice");
        StunMessage allocated = c.allocate(ipv6, naming.protocol());
        assertThat(allocated.messageClass()).as("allocation").isEqualTo(StunClass.SUCCESS_RESPONSE);
        SoftAssertions soft = new SoftAssertions();
        int channel = 0x4000;
        long dropped = stats().dataDropped.sum();
        long refused = stats().peersRefused();
        for (Peer p : peers()) {
            switch (naming) {
                case CREATE_PERMISSION -> soft.assertThat(c.code(StunMethod.CREATE_PERMISSION,
                        b -> b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                        .isEqualTo(403);
                case CHANNEL_BIND -> {
                    int number = channel++;
                    soft.assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(number)
                            .add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                            .isEqualTo(403);
                }
                case SEND -> c.send(sendIndication(p, port(p), "leak " + p.spelling()));
                case CONNECT -> soft.assertThat(c.code(StunMethod.CONNECT,
                        b -> b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                        .isEqualTo(403);
            }
        }
        if (naming == Naming.SEND) {
            long expected = dropped + peers().size();
            awaitCount(() -> stats().dataDropped.sum(), expected);
            soft.assertThat(stats().dataDropped.sum()).as("Send indications dropped").isEqualTo(expected);
        } else {
            soft.assertThat(stats().peersRefused() - refused).as("refusals counted").isEqualTo(peers().size());
        }
        soft.assertThat(TurnTestClient.receive(listener4)).as("nothing reached 127.0.0.1").isNull();
        if (ipv6) {
            soft.assertThat(TurnTestClient.receive(listener6)).as("nothing reached ::1").isNull();
        }
        soft.assertAll();
        Ipv6Loopback.require("the IPv6 rows");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("matrix")
    void eachAllowEntryReopensItsAddressOnly(Transport transport, Naming naming) throws Exception {
        String allow = PEERS.stream().map(Peer::allow).distinct().collect(Collectors.joining(","));
        // Connect: one peer connection per relayed address at most, taken from the start
        start("peers.allow=" + allow, "quotas.permissions-per-allocation=128", "quotas.channels-per-allocation=128",
                "quotas.connections-per-allocation=1");
        HardeningClient c = client(transport, "alice");
        assertThat(c.allocate(ipv6, naming.protocol()).messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        if (naming == Naming.CONNECT) {
            occupyOnlyConnection(c);
        }
        long refused = stats().peersRefused();
        SoftAssertions soft = new SoftAssertions();
        int channel = 0x4000;
        for (Peer p : peers()) {
            switch (naming) {
                case CREATE_PERMISSION, SEND -> soft.assertThat(c.code(StunMethod.CREATE_PERMISSION,
                        b -> b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                        .isZero();
                case CHANNEL_BIND -> {
                    int number = channel++;
                    soft.assertThat(c.code(StunMethod.CHANNEL_BIND, b -> b.channelNumber(number)
                            .add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                            .isZero();
                }
                // past the peer policy, the full quota answers 508 before any connection is attempted: no
                // packet leaves loopback, and no 30 s connect timeout toward unroutable addresses
                case CONNECT -> soft.assertThat(c.code(StunMethod.CONNECT,
                        b -> b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port(p), b)))).as(p.spelling())
                        .isEqualTo(508);
            }
        }
        soft.assertThat(stats().peersRefused() - refused).as("nothing refused").isZero();
        if (naming == Naming.SEND) {
            c.send(sendIndication(v4("127.0.0.1"), listener4.getLocalPort(), "to 127.0.0.1"));
            soft.assertThat(text(TurnTestClient.receive(listener4))).isEqualTo("to 127.0.0.1");
            if (ipv6) {
                c.send(sendIndication(v6("::1"), listener6.getLocalPort(), "to ::1"));
                soft.assertThat(text(TurnTestClient.receive(listener6))).isEqualTo("to ::1");
            }
        }
        // neighbours of allowed addresses stay refused: each entry opens its own address only
        for (Peer neighbour : List.of(v4("10.0.0.2"), v4("127.0.0.2"), v6("::ffff:10.0.0.2"), v6("fe80::2"))) {
            if (!ipv6 && !neighbour.ipv4()) {
                continue;
            }
            int method = naming == Naming.CONNECT ? StunMethod.CONNECT : StunMethod.CREATE_PERMISSION;
            soft.assertThat(c.code(method,
                    b -> b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(neighbour, 9, b)))).as(neighbour.spelling())
                    .isEqualTo(403);
        }
        soft.assertAll();
        Ipv6Loopback.require("the IPv6 rows");
    }

    /**
     * Connects each relayed address (IPv4 and IPv6: the quota counts per relayed address) of {@code c}'s TCP
     * allocation to a loopback TCP listener of its family: its one peer connection, kept until the end.
     */
    private void occupyOnlyConnection(HardeningClient c) throws Exception {
        for (String ip : ipv6 ? List.of("127.0.0.1", "::1") : List.of("127.0.0.1")) {
            ServerSocket tcpPeer = new ServerSocket(0, 1, InetAddress.getByName(ip));
            closeables.add(tcpPeer);
            InetSocketAddress to = new InetSocketAddress(ip, tcpPeer.getLocalPort());
            assertThat(c.code(StunMethod.CONNECT, b -> b.xorPeerAddress(to))).as("Connect to %s", ip).isZero();
        }
    }

    /**
     * A permission for one of this server's own addresses is granted toward a relay port only (two
     * allocations talking); it must not open the same IP's other ports to a Send indication.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void ownAddressPermissionDoesNotOpenItsOtherPorts(Transport transport) throws Exception {
        start("peers.allow=");
        HardeningClient a = client(transport, "alice");
        HardeningClient b = client(transport, "bob");
        a.allocate(false);
        InetSocketAddress relayB = b.allocate(false).xorRelayedAddress();
        assertThat(a.code(StunMethod.CREATE_PERMISSION, m -> m.xorPeerAddress(relayB))).isZero();
        long refused = stats().peersRefused();
        a.send(sendIndication(v4("127.0.0.1"), listener4.getLocalPort(), "off the relay port"));
        awaitCount(stats()::peersRefused, refused + 1);
        assertThat(stats().peersRefused()).isEqualTo(refused + 1);
        assertThat(TurnTestClient.receive(listener4)).isNull();
    }

    static void awaitCount(LongSupplier counter, long expected) throws InterruptedException {
        for (int i = 0; i < 200 && counter.getAsLong() < expected; i++) {
            Thread.sleep(10);
        }
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static byte[] sendIndication(Peer p, int port, String data) {
        StunMessageBuilder b = StunMessageBuilder.of(StunMethod.SEND, StunClass.INDICATION,
                TurnTestClient.newTransactionId());
        return b.add(AttributeType.XOR_PEER_ADDRESS, xorPeer(p, port, b)).data(data.getBytes(StandardCharsets.UTF_8))
                .encode("", null);
    }

    /** XOR-PEER-ADDRESS (RFC 8489 §14.2) with the family the bytes have: 0x01 for 4, 0x02 for 16. */
    static byte[] xorPeer(Peer p, int port, StunMessageBuilder b) {
        byte[] address = p.address();
        byte[] mask = new byte[16];
        mask[0] = 0x21;
        mask[1] = 0x12;
        mask[2] = (byte) 0xA4;
        mask[3] = 0x42;
        System.arraycopy(b.transactionId(), 0, mask, 4, 12);
        byte[] v = new byte[4 + address.length];
        v[1] = (byte) (address.length == 4 ? 1 : 2);
        int x = port ^ 0x2112;
        v[2] = (byte) (x >> 8);
        v[3] = (byte) x;
        for (int i = 0; i < address.length; i++) {
            v[4 + i] = (byte) (address[i] ^ mask[i]);
        }
        return v;
    }
}
