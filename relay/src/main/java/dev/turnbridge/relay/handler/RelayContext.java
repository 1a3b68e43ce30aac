package dev.turnbridge.relay.handler;

import dev.turnbridge.config.Settings;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.Nonces;
import java.time.Clock;

/**
 * What every request handler shares across event loops: settings, the clock, credentials, nonces, peer
 * policy, quotas, the relay port pool and counters. Immutable itself; the pool and quota are thread-safe.
 */
public record RelayContext(
        Settings settings,
        Clock clock,
        CredentialStore credentials,
        Nonces nonces,
        PeerPolicy peerPolicy,
        AllocationQuota quota,
        RelayPortPool ports,
        RelayStats stats) {

    public static RelayContext create(Settings settings, Clock clock) {
        return new RelayContext(
                settings,
                clock,
                new CredentialStore(settings.auth(), settings.realm(), clock),
                new Nonces(settings.lifetimes().nonce(), clock),
                PeerPolicy.from(settings.peers()),
                new AllocationQuota(settings.quotas().allocationsPerUser(), settings.quotas().allocationsTotal()),
                new RelayPortPool(settings.relay().portMin(), settings.relay().portMax(), clock),
                new RelayStats());
    }

    public long now() {
        return clock.millis();
    }
}
