package dev.turnbridge.server;

import dev.turnbridge.relay.transport.RelayServer;
import dev.turnbridge.signaling.session.MembershipListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Withdraws the relay rights signaling granted when a room ends or a member leaves for good: the relay then
 * refuses every credential issued so far for that room or member (those expiring within one credential
 * lifetime from now, which is all of them) and ends their allocations on their own event loops. Runs under
 * signaling's lock, so it only starts the work and never waits for it.
 */
final class RelayRevocation implements MembershipListener {
    private static final Logger log = LoggerFactory.getLogger(RelayRevocation.class);
    /** REST expiries are whole seconds, rounded down when issued; one more second covers any rounding. */
    private static final Duration ROUNDING = Duration.ofSeconds(1);

    private final RelayServer relay;
    private final Duration credentialTtl;
    private final Clock clock;

    RelayRevocation(RelayServer relay, Duration credentialTtl, Clock clock) {
        this.relay = relay;
        this.credentialTtl = credentialTtl;
        this.clock = clock;
    }

    @Override
    public void roomEnded(String room) {
        relay.revokeRoom(room, until()).whenComplete((n, failure) -> logEnded("a room ended", n, failure));
    }

    @Override
    public void memberLeft(String room, String peerId) {
        relay.revokeMember(room, peerId, until()).whenComplete((n, failure) -> logEnded("a member left", n, failure));
    }

    private Instant until() {
        return clock.instant().plus(credentialTtl).plus(ROUNDING);
    }

    // no room code or peer id in the log: they would let a reader join or impersonate
    private static void logEnded(String why, Integer ended, Throwable failure) {
        if (failure != null) {
            log.debug("{}: relay shutting down, allocations not ended", why);
        } else if (ended > 0) {
            log.info("{}: its credentials are revoked and {} allocation(s) ended", why, ended);
        }
    }
}
