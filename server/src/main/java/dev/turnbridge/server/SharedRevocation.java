package dev.turnbridge.server;

import dev.turnbridge.signaling.room.RedisRevocationBus;
import dev.turnbridge.signaling.session.MembershipListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocation with several nodes ({@code signaling.registry: redis}): this node's relay revokes at once, as
 * with one node, and every other node's relay hears of it through the {@link RedisRevocationBus} (within
 * one Redis round trip: well under the second that revocation promises). What other nodes publish is
 * applied to this node's relay. Called under a hub shard's lock: publishing only starts the command.
 */
final class SharedRevocation implements MembershipListener, RedisRevocationBus.Receiver {
    private static final Logger log = LoggerFactory.getLogger(SharedRevocation.class);

    private final MembershipListener local;
    private volatile RedisRevocationBus bus;

    SharedRevocation(MembershipListener local) {
        this.local = local;
    }

    void publishTo(RedisRevocationBus bus) {
        this.bus = bus;
    }

    @Override
    public void roomEnded(String room) {
        local.roomEnded(room);
        RedisRevocationBus b = bus;
        if (b != null) {
            b.roomEnded(room).whenComplete((n, failure) -> logFailure(failure));
        }
    }

    @Override
    public void memberLeft(String room, String peerId) {
        local.memberLeft(room, peerId);
        RedisRevocationBus b = bus;
        if (b != null) {
            b.memberLeft(room, peerId).whenComplete((n, failure) -> logFailure(failure));
        }
    }

    private static void logFailure(Throwable failure) {
        if (failure != null) {
            // the other relays still refuse the credentials once they expire (signaling.turn-credential-ttl)
            log.warn("a revocation did not reach the other nodes: {}", failure.toString());
        }
    }

    /** Another node's revocation, for this node's relay only. */
    @Override
    public void receivedRoomEnded(String room) {
        local.roomEnded(room);
    }

    @Override
    public void receivedMemberLeft(String room, String peerId) {
        local.memberLeft(room, peerId);
    }
}
