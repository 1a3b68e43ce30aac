package dev.turnbridge.server.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One soak client on {@link java.net.http.WebSocket}: joins with acks, sends numbered signals
 * ({@code payload: {c: client, n: seq}}) and keeps a ledger of what it received: per sending client, which
 * sequence numbers arrived, how many twice and how many out of order; which of its own signals were acked;
 * every presence change. A dropped connection ({@link #drop()}) and a {@link #resume()} keep the ledger.
 * It joins with sequenced delivery ({@code config.seq}), as signaling.js does: it acknowledges what it
 * received, keeps its own signals until the server confirms them, and after a {@link #freeze()} (a socket
 * that stays open but carries nothing either way) resumes from its last sequence number and resends what the
 * server did not get; {@link #reload()} takes its seat over with its token, as a reloaded page does.
 * Every wait is bounded.
 */
final class WsPeer implements WebSocket.Listener {

    static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    final int index;
    private final HttpClient http;
    private final URI uri;
    private final Object sendLock = new Object();
    private final StringBuilder partial = new StringBuilder();
    private final Map<Integer, BitSet> seen = new HashMap<>();
    private final Map<Integer, Integer> highest = new HashMap<>();
    private final BitSet acked = new BitSet();
    private final List<String> errors = new ArrayList<>();
    private WebSocket current;
    private WebSocket dropped;
    private String peerId;
    private String token;
    private boolean resumed;
    private int joinedMessages;
    private int presenceStates;
    private int lefts;
    private int presenceJoins;
    private int presenceLeaves;
    private int closeCode;
    private long signalsReceived;
    private long duplicates;
    private long outOfOrder;
    private long duplicateAcks;
    /** Sequenced delivery: the last server seq received and acknowledged; own signals by seq, unconfirmed. */
    private long lastSeq;
    private long ackedSeq;
    private long sendSeq;
    private final java.util.TreeMap<Long, String> outbox = new java.util.TreeMap<>();
    private final Map<Long, Integer> refOfSeq = new HashMap<>();
    private long received;
    private long replayed;

    WsPeer(int index, HttpClient http, URI uri) {
        this.index = index;
        this.http = http;
        this.uri = uri;
    }

    /** Opens a new socket (a first connect, or a reconnect after {@link #drop()}). */
    void connect() throws Exception {
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(WAIT).buildAsync(uri, this)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        synchronized (this) {
            current = ws;
            closeCode = 0;
        }
    }

    void join(String room) throws Exception {
        int before = joinedCount();
        int states = presenceStateCount();
        synchronized (this) {
            lastSeq = 0;
            ackedSeq = 0;
        }
        send("{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + room + "\",\"meta\":{\"c\":" + index
                + "},\"config\":{\"ack\":true,\"seq\":true}}");
        await("joined", () -> joinedMessages > before && presenceStates > states);
    }

    /**
     * The socket freezes half-open: it stays open, but what the server sends on it is lost and what this client
     * sends meanwhile never arrives (it is kept, as signaling.js keeps it, for the resume).
     */
    void freeze() {
        synchronized (this) {
            dropped = current;
            current = null;
        }
    }

    /** After a freeze: a new socket, resume from the last seq received, resend what the server lacks. */
    void thaw(String room) throws Exception {
        WebSocket frozen;
        synchronized (this) {
            frozen = dropped;
        }
        connect();
        resume();
        List<String> resend;
        synchronized (this) {
            resend = new ArrayList<>(outbox.tailMap(received, false).values());
        }
        for (String text : resend) {
            send(text);
        }
        if (frozen != null) {
            frozen.abort(); // the server closed it with 4002 on the resume; nothing of it reaches us
        }
    }

    /** A reloaded page: a new socket whose join carries the token; it must get the same seat back. */
    void reload(String room) throws Exception {
        WebSocket old;
        String id;
        int before;
        synchronized (this) {
            old = current;
            dropped = old;
            current = null;
            id = peerId;
            before = joinedMessages;
            if (!outbox.isEmpty()) {
                problem("reload with " + outbox.size() + " unconfirmed signals");
            }
            sendSeq = 0;
        }
        connect();
        synchronized (this) {
            lastSeq = 0;
            ackedSeq = 0;
        }
        send("{\"type\":\"join\",\"ref\":\"j\",\"room\":\"" + room + "\",\"token\":\"" + token
                + "\",\"meta\":{\"c\":" + index + "},\"config\":{\"ack\":true,\"seq\":true}}");
        await("seat taken over", () -> joinedMessages > before);
        synchronized (this) {
            if (!resumed || !id.equals(peerId)) {
                problem("reload answered resumed=" + resumed + " peerId " + peerId + " (was " + id + ")");
            }
        }
        if (old != null) {
            old.abort();
        }
    }

    /** Acknowledges what arrived since the last ack (sent from the caller's thread, never a listener's). */
    void ackReceived() throws Exception {
        long seq;
        synchronized (this) {
            if (current == null || lastSeq <= ackedSeq) {
                return;
            }
            seq = lastSeq;
            ackedSeq = seq;
        }
        send("{\"type\":\"ack\",\"seq\":" + seq + "}");
    }

    /** Resumes on the current (new) socket with the token of the last join; must keep the peer id. */
    void resume() throws Exception {
        String id;
        int before;
        int states;
        synchronized (this) {
            id = peerId;
            before = joinedMessages;
            states = presenceStates;
        }
        long seq;
        synchronized (this) {
            seq = lastSeq;
        }
        send("{\"type\":\"resume\",\"ref\":\"r\",\"token\":\"" + token + "\",\"seq\":" + seq + "}");
        await("resumed", () -> joinedMessages > before && presenceStates > states);
        synchronized (this) {
            if (!resumed || !id.equals(peerId)) {
                problem("resume answered resumed=" + resumed + " peerId " + peerId + " (was " + id + ")");
            }
        }
    }

    void signal(int n) throws Exception {
        String text;
        boolean live;
        synchronized (this) {
            long seq = ++sendSeq;
            text = "{\"type\":\"signal\",\"ref\":" + n + ",\"seq\":" + seq + ",\"payload\":{\"c\":" + index
                    + ",\"n\":" + n + "}}";
            outbox.put(seq, text);
            refOfSeq.put(seq, n);
            live = current != null;
        }
        if (live) {
            send(text);
            if (n % 8 == 7) {
                ackReceived();
            }
        }
    }

    void leave() throws Exception {
        int before;
        synchronized (this) {
            before = lefts;
        }
        send("{\"type\":\"leave\",\"ref\":\"l\"}");
        await("left", () -> lefts > before);
    }

    void heartbeat() throws Exception {
        synchronized (this) {
            if (current == null || current.isOutputClosed()) {
                return;
            }
        }
        send("{\"type\":\"heartbeat\"}");
    }

    /** Drops the TCP connection without a close frame, as a lost network does. */
    void drop() {
        WebSocket ws;
        synchronized (this) {
            ws = current;
            dropped = ws;
            current = null;
        }
        ws.abort();
    }

    /** A clean close: a close frame, then (bounded) the server's close. */
    void close() throws Exception {
        WebSocket ws;
        synchronized (this) {
            ws = current;
        }
        if (ws == null) {
            return;
        }
        synchronized (sendLock) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        await("close", () -> closeCode != 0);
    }

    /** Forgets the socket without a close frame, for cleanup after a failure. */
    void abortQuietly() {
        WebSocket ws;
        synchronized (this) {
            ws = current;
            current = null;
        }
        if (ws != null) {
            ws.abort();
        }
    }

    private void send(String text) throws Exception {
        WebSocket ws;
        synchronized (this) {
            ws = current;
        }
        if (ws == null) {
            throw new IllegalStateException("client " + index + " has no socket");
        }
        synchronized (sendLock) {
            ws.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Waits (bounded) until {@code condition}, evaluated under this object's lock, holds. */
    synchronized void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("client " + index + ": no " + what + " within " + WAIT.toSeconds()
                        + " s" + (errors.isEmpty() ? "" : " (" + errors.get(0) + ")"));
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    synchronized int joinedCount() {
        return joinedMessages;
    }

    synchronized int presenceStateCount() {
        return presenceStates;
    }

    synchronized String peerId() {
        return peerId;
    }

    synchronized int presenceJoins() {
        return presenceJoins;
    }

    synchronized int presenceLeaves() {
        return presenceLeaves;
    }

    /** Distinct signals received from client {@code from}. */
    synchronized int receivedFrom(int from) {
        BitSet s = seen.get(from);
        return s == null ? 0 : s.cardinality();
    }

    synchronized int ackedCount() {
        return acked.cardinality();
    }

    synchronized long signalsReceived() {
        return signalsReceived;
    }

    synchronized long duplicates() {
        return duplicates + duplicateAcks;
    }

    /** Sequenced messages that came again after a resume and were dropped by seq (expected, not an error). */
    synchronized long replayed() {
        return replayed;
    }

    synchronized long outOfOrder() {
        return outOfOrder;
    }

    synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    private void problem(String text) {
        if (errors.size() < 5) {
            errors.add("client " + index + ": " + text);
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        synchronized (this) {
            if (webSocket != dropped) {
                partial.append(data);
                if (last) {
                    try {
                        handle(JSON.readTree(partial.toString()));
                    } catch (Exception e) {
                        problem("unparseable message: " + e.getMessage());
                    }
                    partial.setLength(0);
                    notifyAll();
                }
            }
        }
        webSocket.request(1);
        return null;
    }

    private void handle(JsonNode m) {
        if (m.has("seq")) {
            long seq = m.get("seq").asLong();
            if (seq <= lastSeq) {
                replayed++;
                return;
            }
            lastSeq = seq;
        }
        if (m.has("received")) {
            confirm(m.get("received").asLong());
        }
        switch (m.path("type").asText()) {
            case "joined" -> {
                joinedMessages++;
                peerId = m.path("peerId").asText();
                token = m.path("token").asText();
                resumed = m.path("resumed").asBoolean();
                if (!m.has("received")) {
                    confirm(0);
                }
            }
            case "presence_state" -> presenceStates++;
            case "presence_diff" -> {
                presenceJoins += others(m.path("joins"));
                presenceLeaves += others(m.path("leaves"));
            }
            case "signal" -> onSignal(m.path("payload"));
            case "ack" -> {
                int ref = m.path("ref").asInt(-1);
                if (ref < 0) {
                    problem("ack without a numeric ref: " + m);
                } else if (acked.get(ref)) {
                    if (!m.has("received")) {
                        duplicateAcks++; // a v1 ack twice; sequenced acks may repeat a confirmation
                    }
                } else {
                    acked.set(ref);
                }
            }
            case "left" -> lefts++;
            case "heartbeat", "credentials" -> {
                // liveness and credential refreshes are not part of the ledger
            }
            default -> problem("unexpected " + m);
        }
    }

    /** The server has every own signal up to {@code upTo}: it counts as acknowledged (its ack may be lost). */
    private void confirm(long upTo) {
        received = upTo;
        var done = outbox.headMap(upTo, true);
        for (Long seq : done.keySet()) {
            Integer ref = refOfSeq.remove(seq);
            if (ref != null) {
                acked.set(ref);
            }
        }
        done.clear();
    }

    private int others(JsonNode ids) {
        int n = 0;
        for (Iterator<String> it = ids.fieldNames(); it.hasNext(); ) {
            if (!it.next().equals(peerId)) {
                n++;
            }
        }
        return n;
    }

    private void onSignal(JsonNode payload) {
        int from = payload.path("c").asInt(-1);
        int seq = payload.path("n").asInt(-1);
        if (from < 0 || seq < 0) {
            problem("signal without c/n: " + payload);
            return;
        }
        BitSet s = seen.computeIfAbsent(from, k -> new BitSet());
        if (s.get(seq)) {
            duplicates++;
            return;
        }
        s.set(seq);
        signalsReceived++;
        int top = highest.getOrDefault(from, -1);
        if (seq != top + 1) {
            outOfOrder++;
            problem("signal " + seq + " from client " + from + " after " + top);
        }
        highest.put(from, Math.max(top, seq));
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        synchronized (this) {
            if (webSocket == current) {
                closeCode = statusCode;
                notifyAll();
            }
        }
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        synchronized (this) {
            if (webSocket == current) {
                closeCode = -1;
                problem("socket error: " + error);
                notifyAll();
            }
        }
    }
}
