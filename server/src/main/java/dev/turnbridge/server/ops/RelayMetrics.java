package dev.turnbridge.server.ops;

import dev.turnbridge.relay.allocation.AllocationListener.EndReason;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerPolicy.RefusalReason;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.handler.RelayStats.AuthFailure;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.transport.RelayServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Binds the relay's counters ({@link RelayStats}) and live state ({@link RelayServer}) to meters. Counters are
 * function counters over the relay's own adders and gauges read live state, so the data path never touches
 * Micrometer. Every tag comes from a fixed set; no username or address ever becomes a tag.
 */
public final class RelayMetrics implements MeterBinder {
    private final RelayServer relay;

    public RelayMetrics(RelayServer relay) {
        this.relay = relay;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        RelayStats stats = relay.context().stats();

        // "started", not "created": Prometheus reserves the _created suffix and would drop it from the name
        counter(registry, "turnbridge.relay.allocations.started", "allocations created by Allocate",
                stats.allocationsCreated);
        counter(registry, "turnbridge.relay.allocations.refreshed", "allocation lifetimes extended by Refresh",
                stats.allocationsRefreshed);
        for (EndReason reason : EndReason.values()) {
            FunctionCounter.builder("turnbridge.relay.allocations.ended", stats, s -> s.ended(reason))
                    .description("allocations that ended: expired, deleted by the client, ended by an admin, "
                            + "closed at shutdown or with their connection, or revoked with their room or member")
                    .tag("reason", reason.tag())
                    .register(registry);
        }
        counter(registry, "turnbridge.relay.allocations.refused.draining",
                "Allocate requests refused while draining (300 or 508)", stats.allocationsRefusedDraining);
        for (FiveTuple.Transport transport : FiveTuple.Transport.values()) {
            for (int f = 0; f < RelayStats.FAMILIES.size(); f++) {
                int family = f;
                Gauge.builder("turnbridge.relay.allocations.active", stats, s -> s.active(transport, family))
                        .description("live allocations by client transport and relayed address family")
                        .tag("transport", tag(transport))
                        .tag("family", RelayStats.FAMILIES.get(f))
                        .register(registry);
            }
        }

        for (int m = 0; m < RelayStats.METHODS.size(); m++) {
            int method = m;
            for (boolean success : new boolean[] {true, false}) {
                FunctionCounter.builder("turnbridge.relay.requests", stats, s -> s.responses(method, success))
                        .description("STUN/TURN requests answered, by method and result")
                        .tag("method", RelayStats.METHODS.get(m))
                        .tag("result", success ? "success" : "error")
                        .register(registry);
            }
        }
        for (int m = 0; m < RelayStats.METHODS.size(); m++) {
            int method = m;
            FunctionCounter.builder("turnbridge.relay.requests.abandoned", stats, s -> s.abandonedRequests(method))
                    .description("requests left unanswered because the client's connection or DTLS association "
                            + "ended first (neither a success nor an error was sent), by method")
                    .tag("method", RelayStats.METHODS.get(m))
                    .register(registry);
        }
        for (ErrorCode code : ErrorCode.values()) {
            FunctionCounter.builder("turnbridge.relay.error.responses", stats, s -> s.errors(code))
                    .description("error responses sent, by ERROR-CODE")
                    .tag("code", Integer.toString(code.code()))
                    .register(registry);
        }
        for (AuthFailure reason : AuthFailure.values()) {
            FunctionCounter.builder("turnbridge.relay.auth.failures", stats, s -> s.authFailures(reason))
                    .description("requests that failed long-term credential checks, by reason")
                    .tag("reason", reason.tag())
                    .register(registry);
        }
        for (RefusalReason reason : RefusalReason.values()) {
            FunctionCounter.builder("turnbridge.relay.peers.refused", stats, s -> s.peersRefused(reason))
                    .description("peer addresses refused by the peer policy, by reason")
                    .tag("reason", reason.tag())
                    .register(registry);
        }
        for (AllocationQuota.Limit limit : AllocationQuota.Limit.values()) {
            FunctionCounter.builder("turnbridge.relay.allocations.refused.quota", stats, s -> s.quotaRefusals(limit))
                    .description("Allocate requests refused with 486, by the limit reached (total, user, member, "
                            + "room, address)")
                    .tag("limit", limit.tag())
                    .register(registry);
        }
        FunctionCounter.builder("turnbridge.relay.revocations", stats.roomsRevoked, LongAdder::sum)
                .description("relay rights withdrawn: rooms that ended, members who left or were removed")
                .tag("scope", "room").register(registry);
        FunctionCounter.builder("turnbridge.relay.revocations", stats.membersRevoked, LongAdder::sum)
                .description("relay rights withdrawn: rooms that ended, members who left or were removed")
                .tag("scope", "member").register(registry);
        gauge(registry, "turnbridge.relay.revocations.active",
                "revocation entries kept until every credential they cover has expired", relay,
                r -> r.context().revocations().size());
        counter(registry, "turnbridge.relay.room.budget.dropped",
                "datagrams dropped because their room was over quotas.room-bandwidth", stats.roomBudgetDropped);
        gauge(registry, "turnbridge.relay.rooms.active", "rooms with live allocations", relay,
                r -> r.context().rooms().size());
                counter(registry, "turnbridge.relay.binding.requests", "STUN Binding requests", stats.bindingRequests);
        counter(registry, "turnbridge.relay.malformed.dropped", "datagrams dropped as malformed",
                stats.malformedDropped);
        counter(registry, "turnbridge.relay.data.dropped",
                "relayed data dropped: no allocation, permission or channel", stats.dataDropped);
        counter(registry, "turnbridge.relay.binding.dropped", "Binding requests dropped: amplification.binding is off",
                stats.bindingDropped);
        counter(registry, "turnbridge.relay.unauthenticated.dropped",
                "unauthenticated UDP answers not sent: the source exceeded amplification.unauthenticated-rate",
                stats.unauthenticatedDropped);
        counter(registry, "turnbridge.relay.stream.stalled",
                "TCP/TLS clients closed for reading nothing while listeners.stream-write-buffer stayed full",
                stats.streamStalled);
        counter(registry, "turnbridge.relay.stream.refused",
                "TCP/TLS connections closed at accept: the client IP had listeners.connections-per-ip open",
                stats.streamConnectionsRefused);
        counter(registry, "turnbridge.relay.stream.allocation.timeouts",
                "TCP/TLS connections closed for holding no allocation for listeners.allocation-timeout",
                stats.streamAllocationTimeouts);
        counter(registry, "turnbridge.relay.proxy.refused",
                "PROXY protocol connections closed: untrusted source, or no valid v2 header in time",
                stats.proxyHeaderRefused);
        counter(registry, "turnbridge.relay.auth.integrity.checks",
                "MESSAGE-INTEGRITY verifications, one per candidate key", stats.integrityChecks);

        for (FiveTuple.Transport transport : FiveTuple.Transport.values()) {
            RelayStats.Traffic t = stats.traffic(transport);
            traffic(registry, "to_peer", transport, t.packetsToPeer, t.bytesToPeer);
            traffic(registry, "to_client", transport, t.packetsToClient, t.bytesToClient);
        }

        gauge(registry, "turnbridge.relay.permissions.active", "permissions installed on live allocations",
                stats.permissionsActive, LongAdder::sum);
        gauge(registry, "turnbridge.relay.channels.active", "channel bindings on live allocations",
                stats.channelsActive, LongAdder::sum);
        gauge(registry, "turnbridge.relay.peer.connections.active",
                "RFC 6062 peer data connections of TCP allocations: connecting, awaiting ConnectionBind, or bound",
                stats.peerConnectionsActive, LongAdder::sum);
        gauge(registry, "turnbridge.relay.dtls.sessions", "DTLS associations, established or handshaking",
                relay, RelayServer::dtlsSessionCount);
        gauge(registry, "turnbridge.relay.ports.used", "relay ports taken by allocations and reservations",
                relay, RelayServer::relayPortsInUse);
        gauge(registry, "turnbridge.relay.ports.free", "relay ports still free",
                relay, r -> r.relayPortCapacity() - r.relayPortsInUse());
        gauge(registry, "turnbridge.relay.draining", "1 while the relay refuses new allocations",
                relay, r -> r.draining() ? 1 : 0);
    }

    private static void traffic(MeterRegistry registry, String direction, FiveTuple.Transport transport,
            LongAdder packets, LongAdder bytes) {
        FunctionCounter.builder("turnbridge.relay.packets", packets, LongAdder::sum)
                .description("packets relayed, counted as they pass")
                .tag("direction", direction)
                .tag("transport", tag(transport))
                .register(registry);
        FunctionCounter.builder("turnbridge.relay.payload", bytes, LongAdder::sum)
                .description("payload bytes relayed, counted as they pass")
                .baseUnit("bytes")
                .tag("direction", direction)
                .tag("transport", tag(transport))
                .register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String description, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::sum).description(description).register(registry);
    }

    private static <T> void gauge(MeterRegistry registry, String name, String description, T state,
            ToDoubleFunction<T> value) {
        Gauge.builder(name, state, value).description(description).register(registry);
    }

    private static String tag(FiveTuple.Transport transport) {
        return transport.name().toLowerCase(Locale.ROOT);
    }
}
