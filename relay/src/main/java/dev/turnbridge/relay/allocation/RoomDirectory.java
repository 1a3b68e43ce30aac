package dev.turnbridge.relay.allocation;

import java.net.InetAddress;
import java.util.Set;

/**
 * What the relay asks signaling about a room's members, without depending on it: the composition root
 * implements this from the signaling module. Called on event loops for Allocate (user id) and, with
 * {@code peers.room-members-only}, for CreatePermission, ChannelBind and Connect; implementations must be
 * thread-safe and must not block for long.
 */
public interface RoomDirectory {
    /** No signaling: members count as their own users and no room has signaling addresses. */
    RoomDirectory NONE = new RoomDirectory() {
        @Override
        public String userId(String room, String member) {
            return null;
        }

        @Override
        public Set<InetAddress> signalingAddresses(String room) {
            return Set.of();
        }
    };

    /**
     * The user id signaling recorded for a member (e.g. the JWT {@code sub} it joined with), or null when it
     * knows none: the member then counts as a user of its own for {@code quotas.allocations-per-user}.
     */
    String userId(String room, String member);

    /** Source addresses of the signaling connections of {@code room}'s members (strict peers). */
    Set<InetAddress> signalingAddresses(String room);
}
