package dev.turnbridge.signaling.session;

/**
 * Told when a room's or a member's access ends for good, so that whatever was granted for it (TURN
 * credentials on the relay) can be withdrawn at once. The composition root wires it to the relay; signaling
 * itself knows nothing of the relay beyond issuing credentials. Called under the lock of the room's hub shard,
 * from several threads at once (rooms of different shards): implementations are thread-safe, return quickly and
 * do not call back into the hub.
 */
public interface MembershipListener {
    MembershipListener NONE = new MembershipListener() {
        @Override
        public void roomEnded(String room) {
        }

        @Override
        public void memberLeft(String room, String peerId) {
        }
    };

    /** The room ended: its TTL ran out or an operator closed it. Its members are gone with it. */
    void roomEnded(String room);

    /**
     * A member left for good: it sent {@code leave}, closed its socket cleanly, did not resume within the grace,
     * or an operator removed it.
     */
    void memberLeft(String room, String peerId);
}
