package dev.turnbridge.signaling.session;

import dev.turnbridge.signaling.room.LogPosition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * What the server delivered to one peer that uses sequence numbers and the peer has not acknowledged yet.
 * Every message is numbered when it is produced, whether a socket is up or not, so a resume replays exactly
 * what the client has not confirmed, from the last acknowledgement on (a socket that froze half-open loses
 * nothing). Bounded in messages and bytes: past either bound exactly-once can no longer be promised and the
 * hub ends the peer's session instead of dropping silently. Guarded by its peer's shard lock.
 */
final class Outbox {

    /** Unacknowledged messages kept per peer (docs/signaling-protocol.md states both bounds). */
    static final int MAX_MESSAGES = 512;
    /** Unacknowledged bytes (as UTF-16 chars of the JSON text) kept per peer. */
    static final long MAX_CHARS = 1L << 20;

    /** {@code at}: its position in the peer's inbox in Redis, for a signal with other nodes; else null. */
    private record Entry(long seq, String text, LogPosition at) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long chars;
    private long nextSeq = 1;
    private LogPosition acknowledgedInbox;

    /** Numbers and keeps one message; null when the bound is reached (nothing is kept then). */
    String add(LongFunction<String> render, LogPosition at) {
        String text = render.apply(nextSeq);
        if (entries.size() >= MAX_MESSAGES || chars + text.length() > MAX_CHARS) {
            return null;
        }
        entries.addLast(new Entry(nextSeq++, text, at));
        chars += text.length();
        return text;
    }

    /** Forgets everything up to {@code seq}; false when {@code seq} was never sent. */
    boolean ack(long seq) {
        if (seq >= nextSeq) {
            return false;
        }
        while (!entries.isEmpty() && entries.peekFirst().seq() <= seq) {
            Entry gone = entries.removeFirst();
            chars -= gone.text().length();
            if (gone.at() != null) {
                acknowledgedInbox = gone.at();
            }
        }
        return true;
    }

    /** The newest inbox position acknowledged since the last call (the inbox may forget up to it), or null. */
    LogPosition takeAcknowledgedInbox() {
        LogPosition at = acknowledgedInbox;
        acknowledgedInbox = null;
        return at;
    }

    /** The messages after {@code seq}, oldest first, still kept until acknowledged. */
    List<String> after(long seq) {
        List<String> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            if (e.seq() > seq) {
                out.add(e.text());
            }
        }
        return out;
    }

    /** A new page took the seat over: what the old one missed is of no use to it. Numbering continues. */
    void clear() {
        entries.clear();
        chars = 0;
    }

    /**
     * A member resumed on this node after its node died: numbering goes on after what the client has seen,
     * so the client takes what comes next as new.
     */
    void continueAfter(long seen) {
        if (entries.isEmpty() && seen >= nextSeq) {
            nextSeq = seen + 1;
        }
    }

    int size() {
        return entries.size();
    }
}
