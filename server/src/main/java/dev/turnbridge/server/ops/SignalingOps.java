package dev.turnbridge.server.ops;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Instant;
import java.util.List;

/**
 * What operations need from signaling: its rooms and connections, closing a room, telling clients to reconnect
 * during a drain, and its meters. The composition root adapts the signaling module to it, so this package
 * depends on no signaling type.
 *
 * <p>Meters the adapter is expected to bind (names fixed here because the Grafana dashboard uses them):
 * {@code turnbridge.signaling.connections} (gauge), {@code turnbridge.signaling.rooms.active} (gauge),
 * {@code turnbridge.signaling.joins} (counter, tag {@code result}), {@code turnbridge.signaling.messages}
 * (counter, tag {@code type}), {@code turnbridge.signaling.fanout.latency} (timer with histogram),
 * {@code turnbridge.signaling.errors} (counter, tag {@code code}), {@code turnbridge.signaling.auth} (counter,
 * tags {@code mode} and {@code outcome}: ok, forbidden or the refusal reason), {@code turnbridge.signaling.rate.limited}
 * (counter), {@code turnbridge.signaling.slow.readers}, {@code turnbridge.signaling.duplicates},
 * {@code turnbridge.signaling.outbox.overflows} (counters); the connection-success figure
 * {@code turnbridge.calls} (counter, tags {@code outcome} and {@code path}), {@code turnbridge.calls.ice.restarts}
 * (counter) and {@code turnbridge.calls.connect.time} (timer with histogram). Never a room code, peer id or
 * address as a tag.
 */
public interface SignalingOps {
    /** False when this process serves no signaling. */
    boolean available();

    /** Open WebSocket connections. */
    int connections();

    /** Live rooms, for the admin API and the status page. */
    List<RoomSummary> rooms();

    /** Closes a room, telling its members; false when there is no such room. */
    java.util.concurrent.CompletionStage<Boolean> closeRoom(String code);

    /**
     * Removes one member of a room, telling it and the others; its relay credentials are revoked. False when
     * the room has no such member.
     */
    boolean kick(String code, String peerId);

    /** Refuses new rooms and joins and tells connected clients to reconnect (to another server). */
    void drain();

    /** Binds the signaling meters listed above. */
    MeterBinder metrics();

    /** Calls reported by browsers in the last hour (the connection-success figure), for the status page. */
    CallFigures lastHourCalls();

    /**
     * Calls in a time window: how many were reported, how many connected, how many of those were relayed,
     * and the mean time to connect in milliseconds (-1 without connected calls).
     */
    record CallFigures(long calls, long connected, long relayed, long connectMillisMean) {
        public static final CallFigures NONE = new CallFigures(0, 0, 0, -1);
    }

    /**
     * Why signaling is open to abuse (open access on a non-loopback address), for the status page; null when
     * it is not.
     */
    String accessWarning();

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
