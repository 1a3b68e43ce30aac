package dev.turnbridge.server.ops;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Instant;
import java.util.List;

/**
 * What operations need from signaling: its rooms, closing one, telling clients to reconnect during a drain,
 * and its meters. The composition root adapts the signaling module to it; until that module is wired,
 * {@link #NONE} stands in (no rooms, nothing to drain, no meters).
 *
 * <p>Meters the adapter is expected to bind (names fixed here because the Grafana dashboard uses them):
 * {@code turnbridge.signaling.connections} (gauge), {@code turnbridge.signaling.rooms.active} (gauge),
 * {@code turnbridge.signaling.joins} (counter, tag {@code result}), {@code turnbridge.signaling.messages}
 * (counter, tag {@code type}), {@code turnbridge.signaling.fanout.latency} (timer with histogram),
 * {@code turnbridge.signaling.errors} (counter, tag {@code code}), {@code turnbridge.signaling.rate.limited}
 * (counter). Never a room code, peer id or address as a tag.
 */
public interface SignalingOps {
    SignalingOps NONE = new SignalingOps() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public List<RoomSummary> rooms() {
            return List.of();
        }

        @Override
        public boolean closeRoom(String code) {
            return false;
        }

        @Override
        public void drain() {
        }

        @Override
        public MeterBinder metrics() {
            return registry -> { };
        }
    };

    /** False when this process serves no signaling. */
    boolean available();

    /** Live rooms, for the admin API and the status page. */
    List<RoomSummary> rooms();

    /** Closes a room, telling its members; false when there is no such room. */
    boolean closeRoom(String code);

    /** Refuses new rooms and joins and tells connected clients to reconnect (to another server). */
    void drain();

    /** Binds the signaling meters listed above. */
    MeterBinder metrics();

    /**
     * One room as operators see it.
     *
     * @param code      the room code (shown in full only to the admin API; the status page masks it)
     * @param members   members now in the room
     * @param capacity  most members it admits
     * @param createdAt when it was created
     * @param expiresAt when it closes by itself
     */
    record RoomSummary(String code, int members, int capacity, Instant createdAt, Instant expiresAt) {
    }
}
