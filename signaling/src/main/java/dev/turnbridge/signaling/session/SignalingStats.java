package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.ErrorCode;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Counters of what signaling did, for the composition root to bind to meters (signaling never builds a meter
 * registry). Every dimension is a fixed set: message type, join result, error code. Never a room code, peer
 * id or address.
 */
public final class SignalingStats {
    /** Client message types, in {@link #messageIndex} order. */
    public static final List<String> MESSAGE_TYPES = List.of("join", "resume", "signal", "leave", "heartbeat", "ack",
            "call_report");
    /** Outcomes of join requests, in {@link JoinOutcome} order. */
    public static final List<String> JOIN_RESULTS = List.of("joined", "room_not_found", "room_full", "room_expired",
            "refused");

    public final LongAdder connectionsOpened = new LongAdder();
    public final LongAdder rateLimited = new LongAdder();
    /** Signals resent after a resume that had already arrived: dropped, acknowledged again. */
    public final LongAdder duplicates = new LongAdder();
    /**
     * Peers removed because their unacknowledged messages passed the outbox bound, or because their inbox had
     * been trimmed past what they had seen when they moved from a dead node.
     */
    public final LongAdder outboxOverflows = new LongAdder();
    /** Connections closed because the client stopped reading (outbound queue over its limit). */
    public final LongAdder slowReaders = new LongAdder();
    private final CallStats calls = new CallStats();
    /** HTTP connections closed because no complete request arrived within {@code signaling.request-timeout}. */
    public final LongAdder requestTimeouts = new LongAdder();
    private final LongAdder[] messages = adders(MESSAGE_TYPES.size());
    private final LongAdder[] joins = adders(JOIN_RESULTS.size());
    private final LongAdder[] errors = adders(ErrorCode.values().length);
    private volatile LongConsumer fanoutObserver = nanos -> { };

    /** How a join request ended. */
    public enum JoinOutcome { JOINED, ROOM_NOT_FOUND, ROOM_FULL, ROOM_EXPIRED, REFUSED }

    /**
     * Receives the time, in nanoseconds, the hub took to hand one signal to every recipient's connection
     * (the composition root records it in a histogram).
     */
    public void observeFanout(LongConsumer observer) {
        this.fanoutObserver = observer;
    }

    void fanout(long nanos) {
        fanoutObserver.accept(nanos);
    }

    void message(ClientMessage message) {
        messages[messageIndex(message)].increment();
    }

    void join(JoinOutcome outcome) {
        joins[outcome.ordinal()].increment();
    }

    /** Counts one protocol error sent to a client. */
    public void error(ErrorCode code) {
        errors[code.ordinal()].increment();
        if (code == ErrorCode.RATE_LIMITED) {
            rateLimited.increment();
        }
    }

    /** Call outcomes reported by clients. */
    public CallStats calls() {
        return calls;
    }

    public long messages(int typeIndex) {
        return messages[typeIndex].sum();
    }

    public long joins(int resultIndex) {
        return joins[resultIndex].sum();
    }

    public long errors(ErrorCode code) {
        return errors[code.ordinal()].sum();
    }

    static int messageIndex(ClientMessage message) {
        if (message instanceof ClientMessage.Join) {
            return 0;
        } else if (message instanceof ClientMessage.Resume) {
            return 1;
        } else if (message instanceof ClientMessage.Signal) {
            return 2;
        } else if (message instanceof ClientMessage.Leave) {
            return 3;
        } else if (message instanceof ClientMessage.Heartbeat) {
            return 4;
        } else if (message instanceof ClientMessage.Ack) {
            return 5;
        }
        return 6;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }
}
