package dev.turnbridge.signaling.room;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A room's traffic between the nodes that hold its members: signals, presence joins and leaves. A node
 * subscribes to a room while it has members in it, so a room's traffic reaches the nodes of its members and no
 * others, the publishing node included, in one order per room. A signal is also kept, per recipient, in that
 * member's inbox, which outlives any one node: a member whose node died resumes on another one with what it
 * had not yet seen ({@link #recover}). {@link #NONE} is the single process: every member is local and nothing
 * travels.
 */
public interface RoomFanout {

    RoomFanout NONE = new RoomFanout() {
        @Override
        public void receiveWith(Receiver receiver) {
        }

        @Override
        public CompletionStage<Void> subscribe(String room) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> unsubscribe(String room) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> publish(String room, String message) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Sent> signal(String room, String message, Sender sender) {
            return CompletableFuture.completedFuture(Sent.DELIVERED);
        }

        @Override
        public CompletionStage<Void> acknowledged(String room, String peer, LogPosition upTo) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Recovery> recover(String room, String peer, LogPosition after) {
            return CompletableFuture.completedFuture(new Recovery(0, true, List.of()));
        }
    };

    /** Where a room's messages go, in the room's order, on the fan-out's thread. */
    @FunctionalInterface
    interface Receiver {
        /**
         * @param own        this node published it
         * @param recipients for a signal, the members it is for and its position in each one's inbox; empty for
         *                   presence and the like, which go to every member
         */
        void receive(String room, boolean own, Map<String, LogPosition> recipients, String message);
    }

    /**
     * Who sends a signal: its peer id, {@code to} (one member, or null for all others), whether it gets its own
     * signals back ({@code self}), and its client sequence number ({@code seq}, 0 for none), recorded with the
     * signal so that a resent copy is known on any node.
     */
    record Sender(String peerId, String to, boolean self, long seq) {
    }

    /** What became of a signal: in its recipients' inboxes, or refused because the room or {@code to} is gone. */
    enum Sent { DELIVERED, NO_ROOM, NO_PEER }

    /** One entry of a member's inbox. */
    record Entry(LogPosition at, String message) {
    }

    /**
     * What a member resuming on another node needs: the highest sequence number of its own that was published
     * ({@code received}), its inbox after the position it gave, oldest first, and whether that is all of it
     * ({@code complete} is false when the inbox was trimmed past that position).
     */
    record Recovery(long received, boolean complete, List<Entry> entries) {
    }

    /** Set once. */
    void receiveWith(Receiver receiver);

    CompletionStage<Void> subscribe(String room);

    CompletionStage<Void> unsubscribe(String room);

    /** Sends {@code message} (presence, a room's end) to the nodes subscribed to {@code room}; kept nowhere. */
    CompletionStage<Void> publish(String room, String message);

    /**
     * Puts a signal in the inbox of each member it is for and sends it to the nodes subscribed to {@code room},
     * in one step, if the room and the member it is addressed to are still there. Completes once Redis has it
     * in those inboxes and has handed it to every subscribed node's connection: that is what an {@code ack}
     * of a signal means. Fails when Redis cannot be reached.
     */
    CompletionStage<Sent> signal(String room, String message, Sender sender);

    /** Member {@code peer}'s client has every signal of its inbox up to {@code upTo}: they need not be kept. */
    CompletionStage<Void> acknowledged(String room, String peer, LogPosition upTo);

    /** What member {@code peer} of {@code room} needs to resume here after its inbox position {@code after}. */
    CompletionStage<Recovery> recover(String room, String peer, LogPosition after);
}
