package dev.turnbridge.signaling.room;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * A room's traffic between the nodes that hold its members: signals, presence joins and leaves. A node
 * subscribes to a room while it has members in it, so a room's traffic reaches the nodes of its members and
 * no others. Messages one node publishes to one room arrive at every other subscribed node in the order
 * they were published; a node never receives its own. {@link #NONE} is the single process: every member is
 * local and nothing travels.
 */
public interface RoomFanout {

    RoomFanout NONE = new RoomFanout() {
        @Override
        public void receiveWith(BiConsumer<String, String> receiver) {
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
    };

    /** Where messages of other nodes go: {@code (room, message)}, on the fan-out's thread. Set once. */
    void receiveWith(BiConsumer<String, String> receiver);

    CompletionStage<Void> subscribe(String room);

    CompletionStage<Void> unsubscribe(String room);

    /**
     * Sends {@code message} to the other nodes subscribed to {@code room}. Completes once Redis has handed it
     * to every subscribed node's connection: that is what an {@code ack} of a signal for members on other
     * nodes means. Fails when Redis cannot be reached.
     */
    CompletionStage<Void> publish(String room, String message);
}
