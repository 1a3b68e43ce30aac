package dev.turnbridge.server.soak;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.handler.TurnMethod;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.stun.StunParseException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Thousands of TURN allocations on one thread and one selector: each authenticates with a REST credential,
 * permits a loopback echo peer (ChannelBind for even allocations, CreatePermission + Send indications for odd
 * ones), relays numbered datagrams through the echo and back, and deletes itself with a Refresh of lifetime 0.
 * Every datagram carries (round, allocation, sequence) and a filler derived from them, so loss, duplicates,
 * reordering and corruption are told apart. Requests are retransmitted (RFC 8489 §6.2.1); data never is, so a
 * duplicate can only come from the relay.
 */
final class TurnLoad {

    /** What one run of the load measured. */
    record Figures(int allocations, int completed, int failed, long sent, long received, long duplicates,
            long reordered, long corrupt, int peakPorts, List<String> errors) {
        long lost() {
            return sent - received;
        }
    }

    /** How many, how fast, for how long. */
    record Plan(InetSocketAddress server, String secret, int round, int allocations, int messages, int window,
            int maxInFlight, int maxTransactions, Duration deadline) {
    }

    private static final int MAGIC = 0x534F414B; // "SOAK"
    private static final int PAYLOAD = 96;
    private static final int CHANNEL = 0x4000;
    private static final int PEERS = 4;
    private static final long RTO_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int MAX_ATTEMPTS = 7;
    private static final long DATA_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);

    private enum State { NEW, CHALLENGE, ALLOCATE, PERMIT, TRAFFIC, DRAINED, DELETE, DONE, FAILED }

    private final Plan plan;
    private final Runnable atPeak;
    private final Selector selector;
    private final DatagramChannel[] peers = new DatagramChannel[PEERS];
    private final List<Alloc> allocs = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private final List<String> errors = new ArrayList<>();
    private int transactions;
    private int inFlight;
    private long sent;
    private long received;
    private long duplicates;
    private long reordered;
    private long corrupt;
    private int failed;

    private TurnLoad(Plan plan, Runnable atPeak) throws IOException {
        this.plan = plan;
        this.atPeak = atPeak;
        this.selector = Selector.open();
    }

    /**
     * Runs the plan to completion or its deadline. {@code atPeak} runs once every allocation has relayed all
     * its traffic and none is deleted yet (all of them live at once): the place to measure the peak.
     */
    static Figures run(Plan plan, java.util.function.IntSupplier atPeak) throws IOException {
        int[] peak = {-1};
        TurnLoad load = new TurnLoad(plan, () -> peak[0] = atPeak.getAsInt());
        try {
            load.open();
            load.loop();
        } finally {
            load.closeAll();
        }
        return new Figures(plan.allocations(), (int) load.allocs.stream().filter(a -> a.state == State.DONE).count(),
                load.failed, load.sent, load.received, load.duplicates, load.reordered, load.corrupt, peak[0],
                List.copyOf(load.errors));
    }

    private void open() throws IOException {
        for (int i = 0; i < PEERS; i++) {
            DatagramChannel peer = DatagramChannel.open(StandardProtocolFamily.INET);
            peer.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            peer.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            peer.bind(new InetSocketAddress("127.0.0.1", 0));
            peer.configureBlocking(false);
            peer.register(selector, SelectionKey.OP_READ, null);
            peers[i] = peer;
        }
        Instant now = Instant.now();
        for (int i = 0; i < plan.allocations(); i++) {
            DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.bind(new InetSocketAddress("127.0.0.1", 0));
            ch.configureBlocking(false);
            var credential = RestCredentials.issue(new Secret(plan.secret()),
                    "soak-r" + plan.round() + "-a" + i, Duration.ofHours(1), now);
            Alloc a = new Alloc(i, ch, credential.username(), credential.password(),
                    (InetSocketAddress) peers[i % PEERS].getLocalAddress());
            ch.register(selector, SelectionKey.OP_READ, a);
            allocs.add(a);
        }
    }

    private void loop() throws IOException {
        long deadline = System.nanoTime() + plan.deadline().toNanos();
        boolean deleting = false;
        int next = 0;
        while (System.nanoTime() < deadline) {
            selector.select(5);
            var keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                if (key.attachment() == null) {
                    echo((DatagramChannel) key.channel());
                } else {
                    drain((Alloc) key.attachment());
                }
            }
            long now = System.nanoTime();
            while (next < allocs.size() && transactions < plan.maxTransactions()) {
                Alloc a = allocs.get(next++);
                a.state = State.CHALLENGE;
                a.request(StunMethod.ALLOCATE, b -> b.requestedTransport(17), false, now);
            }
            boolean allDrained = next == allocs.size();
            boolean allDone = true;
            for (Alloc a : allocs) {
                a.tick(now);
                if (a.state == State.TRAFFIC) {
                    a.pump(now);
                }
                allDrained &= a.state == State.DRAINED || a.state == State.FAILED;
                allDone &= a.state == State.DONE || a.state == State.FAILED;
            }
            if (allDrained && !deleting) {
                atPeak.run();
                deleting = true;
            }
            if (deleting) {
                for (Alloc a : allocs) {
                    if (transactions >= plan.maxTransactions()) {
                        break;
                    }
                    if (a.state == State.DRAINED) {
                        a.state = State.DELETE;
                        a.request(StunMethod.REFRESH, b -> b.lifetime(0), true, now);
                    }
                }
            }
            if (allDone) {
                return;
            }
        }
        for (Alloc a : allocs) {
            if (a.state != State.DONE && a.state != State.FAILED) {
                a.fail("deadline reached in state " + a.state);
            }
        }
    }

    private void echo(DatagramChannel peer) throws IOException {
        for (int i = 0; i < 512; i++) {
            buffer.clear();
            InetSocketAddress from = (InetSocketAddress) peer.receive(buffer);
            if (from == null) {
                return;
            }
            buffer.flip();
            peer.send(buffer, from);
        }
    }

    private void drain(Alloc a) throws IOException {
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            if (a.channel.receive(buffer) == null) {
                return;
            }
            buffer.flip();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            a.onDatagram(bytes);
        }
    }

    private void closeAll() {
        for (Alloc a : allocs) {
            try {
                a.channel.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        for (DatagramChannel peer : peers) {
            try {
                if (peer != null) {
                    peer.close();
                }
            } catch (IOException ignored) {
                // closing
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private void error(String message) {
        if (errors.size() < 20) {
            errors.add(message);
        }
    }

    private static byte[] payload(int round, int index, int seq) {
        ByteBuffer b = ByteBuffer.allocate(PAYLOAD);
        b.putInt(MAGIC).putInt(round).putInt(index).putInt(seq);
        while (b.hasRemaining()) {
            b.put((byte) (seq * 31 + index * 7 + b.position()));
        }
        return b.array();
    }

    /** One allocation: its socket, its credential, its one outstanding request and its traffic ledger. */
    private final class Alloc {
        final int index;
        final DatagramChannel channel;
        final String username;
        final String password;
        final InetSocketAddress peer;
        final boolean useChannel;
        State state = State.NEW;
        String realm;
        String nonce;
        byte[] key;
        int method;
        Consumer<StunMessageBuilder> attributes;
        byte[] request;
        byte[] transactionId;
        long sentAt;
        int attempts;
        boolean pending;
        int nextSeq;
        int outstanding;
        int highest = -1;
        final BitSet got;
        final BitSet expired;
        final long[] sentAtSeq;

        Alloc(int index, DatagramChannel channel, String username, String password, InetSocketAddress peer) {
            this.index = index;
            this.channel = channel;
            this.username = username;
            this.password = password;
            this.peer = peer;
            this.useChannel = index % 2 == 0;
            this.got = new BitSet(plan.messages());
            this.expired = new BitSet(plan.messages());
            this.sentAtSeq = new long[plan.messages()];
        }

        void request(int method, Consumer<StunMessageBuilder> attributes, boolean signed, long now) {
            this.method = method;
            this.attributes = attributes;
            transactionId = new byte[12];
            ThreadLocalRandom.current().nextBytes(transactionId);
            StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, transactionId);
            attributes.accept(b);
            if (signed) {
                b.username(username).realm(realm).nonce(nonce);
            }
            request = b.encode("", signed ? key : null);
            attempts = 0;
            if (!pending) {
                transactions++;
            }
            pending = true;
            transmit(now);
        }

        void transmit(long now) {
            attempts++;
            sentAt = now;
            try {
                channel.send(ByteBuffer.wrap(request), plan.server());
            } catch (IOException e) {
                fail("send: " + e.getMessage());
            }
        }

        void tick(long now) {
            if (pending && now - sentAt > RTO_NANOS * Math.min(1L << (attempts - 1), 8)) {
                if (attempts >= MAX_ATTEMPTS) {
                    fail(TurnMethod.of(method).tag() + " got no response after " + attempts + " attempts");
                } else {
                    transmit(now);
                }
            }
            if (state == State.TRAFFIC || state == State.DRAINED) {
                for (int seq = got.nextClearBit(0); seq < nextSeq; seq = got.nextClearBit(seq + 1)) {
                    if (!expired.get(seq) && now - sentAtSeq[seq] > DATA_TIMEOUT_NANOS) {
                        expired.set(seq);
                        outstanding--;
                        inFlight--;
                    }
                }
                if (state == State.TRAFFIC && nextSeq == plan.messages() && outstanding == 0) {
                    state = State.DRAINED;
                }
            }
        }

        void pump(long now) {
            while (nextSeq < plan.messages() && outstanding < plan.window() && inFlight < plan.maxInFlight()) {
                byte[] data = payload(plan.round(), index, nextSeq);
                byte[] datagram;
                if (useChannel) {
                    datagram = ByteBuffer.allocate(4 + data.length).putShort((short) CHANNEL)
                            .putShort((short) data.length).put(data).array();
                } else {
                    byte[] id = new byte[12];
                    ThreadLocalRandom.current().nextBytes(id);
                    datagram = StunMessageBuilder.of(StunMethod.SEND, StunClass.INDICATION, id)
                            .xorPeerAddress(peer).data(data).encode("", null);
                }
                try {
                    if (channel.send(ByteBuffer.wrap(datagram), plan.server()) == 0) {
                        return; // socket buffer full: try again on the next turn
                    }
                } catch (IOException e) {
                    fail("send data: " + e.getMessage());
                    return;
                }
                sentAtSeq[nextSeq++] = now;
                outstanding++;
                inFlight++;
                sent++;
            }
        }

        void onDatagram(byte[] bytes) {
            if (bytes.length >= 4 && (bytes[0] & 0xF0) == 0x40) {
                int channelNumber = ((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF);
                int length = ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
                if (channelNumber != CHANNEL || length > bytes.length - 4) {
                    corrupt++;
                    error("a" + index + ": bad ChannelData header");
                    return;
                }
                onData(Arrays.copyOfRange(bytes, 4, 4 + length), true);
                return;
            }
            StunMessage m;
            try {
                m = StunDecoder.decode(bytes, bytes.length);
            } catch (StunParseException e) {
                corrupt++;
                error("a" + index + ": undecodable datagram: " + e.getMessage());
                return;
            }
            if (m.messageClass() == StunClass.INDICATION && m.method() == StunMethod.DATA) {
                onData(m.data(), false);
            } else if (m.messageClass() != StunClass.INDICATION) {
                onResponse(m);
            }
        }

        void onData(byte[] data, boolean viaChannel) {
            if (data == null || viaChannel != useChannel || !Arrays.equals(data, payloadIfOurs(data))) {
                corrupt++;
                error("a" + index + ": corrupt or misrouted data (" + (viaChannel ? "ChannelData" : "Data") + ")");
                return;
            }
            int seq = ByteBuffer.wrap(data).getInt(12);
            if (got.get(seq)) {
                duplicates++;
                return;
            }
            got.set(seq);
            received++;
            if (seq < highest) {
                reordered++;
            }
            highest = Math.max(highest, seq);
            if (!expired.get(seq)) {
                outstanding--;
                inFlight--;
            }
        }

        /** The payload this allocation would have sent with the sequence number found in {@code data}. */
        private byte[] payloadIfOurs(byte[] data) {
            if (data.length != PAYLOAD) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(data);
            int seq = b.getInt(12);
            if (b.getInt(0) != MAGIC || b.getInt(4) != plan.round() || b.getInt(8) != index || seq < 0
                    || seq >= nextSeq) {
                return null;
            }
            return payload(plan.round(), index, seq);
        }

        void onResponse(StunMessage m) {
            if (!pending || !Arrays.equals(m.transactionId(), transactionId)) {
                return; // a late answer to a retransmitted request
            }
            pending = false;
            transactions--;
            long now = System.nanoTime();
            if (m.messageClass() == StunClass.ERROR_RESPONSE) {
                int code = m.errorCode();
                if ((code == 401 && state == State.CHALLENGE) || code == 438) {
                    realm = m.realm();
                    nonce = m.nonce();
                    key = LongTermKey.derive(username, realm, password);
                    if (state == State.CHALLENGE) {
                        state = State.ALLOCATE;
                    }
                    request(method, attributes, true, now);
                    return;
                }
                fail(TurnMethod.of(method).tag() + " answered " + code);
                return;
            }
            if (key == null || !MessageIntegrity.verify(m, key)) {
                fail(TurnMethod.of(method).tag() + " success without valid MESSAGE-INTEGRITY");
                return;
            }
            switch (state) {
                case ALLOCATE -> {
                    if (m.xorRelayedAddress() == null) {
                        fail("Allocate success without XOR-RELAYED-ADDRESS");
                        return;
                    }
                    state = State.PERMIT;
                    if (useChannel) {
                        request(StunMethod.CHANNEL_BIND, b -> b.channelNumber(CHANNEL).xorPeerAddress(peer), true, now);
                    } else {
                        request(StunMethod.CREATE_PERMISSION, b -> b.xorPeerAddress(peer), true, now);
                    }
                }
                case PERMIT -> state = State.TRAFFIC;
                case DELETE -> state = State.DONE;
                default -> fail("unexpected success in state " + state);
            }
        }

        void fail(String why) {
            if (state == State.FAILED) {
                return;
            }
            if (pending) {
                pending = false;
                transactions--;
            }
            inFlight -= outstanding;
            outstanding = 0;
            state = State.FAILED;
            failed++;
            error("a" + index + ": " + why);
        }
    }
}
