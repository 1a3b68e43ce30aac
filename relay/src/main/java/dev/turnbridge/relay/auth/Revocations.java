package dev.turnbridge.relay.auth;

import dev.turnbridge.credentials.RoomCredential;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rooms and room members whose relay rights were withdrawn (the room ended, the member left or was kicked).
 * An entry revokes every credential of its room or member that expires at or before the entry's
 * {@code until}, which the caller sets to "now + the longest credential lifetime signaling issues": every
 * credential issued before the revocation expires by then, and one issued later (a new room that happens to
 * reuse the code) expires after it and is accepted. The entry is useless once {@code until} has passed (any
 * credential it covers is expired anyway), so it is dropped then: memory is bounded by the revocations of one
 * credential lifetime, never by the server's uptime. Thread-safe; checked once per authenticated request.
 */
public final class Revocations {
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();

    /** Revokes every credential of {@code room} that expires at or before {@code untilEpochSecond}. */
    public void revokeRoom(String room, long untilEpochSecond, long nowEpochSecond) {
        add(room, untilEpochSecond, nowEpochSecond);
    }

    /** Revokes every credential of one member of {@code room} expiring at or before {@code untilEpochSecond}. */
    public void revokeMember(String room, String member, long untilEpochSecond, long nowEpochSecond) {
        add(room + ":" + member, untilEpochSecond, nowEpochSecond);
    }

    private void add(String key, long untilEpochSecond, long nowEpochSecond) {
        // a room key has no colon and a member key has one, so the two never collide
        until.merge(key, untilEpochSecond, Math::max);
        sweep(nowEpochSecond);
    }

    /** Whether {@code credential} (one naming a room) was revoked. */
    public boolean isRevoked(RoomCredential credential) {
        if (!credential.inRoom() || until.isEmpty()) {
            return false;
        }
        return covers(until.get(credential.room()), credential.expiry())
                || covers(until.get(credential.memberKey()), credential.expiry());
    }

    private static boolean covers(Long until, long expiry) {
        return until != null && expiry <= until;
    }

    /**
     * Drops entries whose {@code until} has passed: every credential they cover has expired and is refused as
     * such. Runs on every revocation, which keeps the set at one credential lifetime's worth of revocations.
     */
    public void sweep(long nowEpochSecond) {
        until.values().removeIf(u -> u < nowEpochSecond);
    }

    /** Live entries (for tests and the status page). */
    public int size() {
        return until.size();
    }
}
