package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.stun.ErrorCode;
import java.net.Inet4Address;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the relay did, cheap enough for the data path: striped adders, pre-resolved per dimension
 * (no map lookup, no tag building per packet). The composition root binds them to meters; tests read them
 * directly. Every dimension is a small fixed set: method, result, error code, reason, transport, family,
 * direction. Never a username or an address.
 */
public final class RelayStats implements AllocationListener {
    /** The tags of {@link TurnMethod}, in {@link #methodIndex} order; anything unserved is "other". */
    public static final List<String> METHODS =
            java.util.Arrays.stream(TurnMethod.values()).map(TurnMethod::tag).toList();
    public static final List<String> FAMILIES = List.of("ipv4", "ipv6");

    public final LongAdder malformedDropped = new LongAdder();
    public final LongAdder bindingRequests = new LongAdder();
    public final LongAdder allocationsCreated = new LongAdder();
    public final LongAdder allocationsRefreshed = new LongAdder();
    public final LongAdder dataDropped = new LongAdder();
    public final LongAdder permissionsActive = new LongAdder();
    public final LongAdder channelsActive = new LongAdder();
    /**
     * RFC 6062 peer data connections of live TCP allocations: being made (Connect), waiting for ConnectionBind,
     * or bound to a client data connection.
     */
    public final LongAdder peerConnectionsActive = new LongAdder();
    /**
     * Responses to unauthenticated UDP requests not sent because their source exceeded
     * {@code amplification.unauthenticated-rate}.
     */
    public final LongAdder unauthenticatedDropped = new LongAdder();
    /** Binding requests dropped because {@code amplification.binding} is off. */
    public final LongAdder bindingDropped = new LongAdder();
    /**
     * MESSAGE-INTEGRITY verifications, one per candidate key: a wrong password and an unknown user (decoy keys)
     * move it by the same amount.
     */
    public final LongAdder integrityChecks = new LongAdder();
    /**
     * TCP/TLS clients closed because they read nothing while {@code listeners.stream-write-buffer} bytes
     * waited for them for {@code listeners.stream-stall-timeout} (or answers piled up beyond twice that buffer).
     */
    public final LongAdder streamStalled = new LongAdder();
    /** TCP/TLS connections closed at accept: their client IP had {@code listeners.connections-per-ip} open. */
    public final LongAdder streamConnectionsRefused = new LongAdder();
    /** TCP/TLS connections held no allocation for {@code listeners.allocation-timeout} and were closed. */
    public final LongAdder streamAllocationTimeouts = new LongAdder();
    /**
     * Connections to a PROXY protocol listener closed: from a source outside
     * {@code listeners.proxy-protocol-sources}, or without a valid v2 header in time.
     */
    public final LongAdder proxyHeaderRefused = new LongAdder();
    /** Allocate requests turned away because the server is draining. */
    public final LongAdder allocationsRefusedDraining = new LongAdder();
    /** Rooms whose relay rights were revoked (the room ended). */
    public final LongAdder roomsRevoked = new LongAdder();
    /** Room members whose relay rights were revoked (left after the resume grace, or kicked). */
    public final LongAdder membersRevoked = new LongAdder();
    /** Datagrams dropped because their room was over {@code quotas.room-bandwidth}. */
    public final LongAdder roomBudgetDropped = new LongAdder();

    private final LongAdder[][] responses = adders(METHODS.size(), 2);
    private final LongAdder[] abandoned = adders(METHODS.size());
    private final LongAdder[] errors = adders(ErrorCode.values().length);
    private final LongAdder[] authFailures = adders(AuthFailure.values().length);
    private final LongAdder[] ended = adders(EndReason.values().length);
    private final LongAdder[] quotaRefusals = adders(AllocationQuota.Limit.values().length);
    private final LongAdder[] peersRefused = adders(PeerPolicy.RefusalReason.values().length);
    private final LongAdder[][] active = adders(FiveTuple.Transport.values().length, FAMILIES.size());
    private final Traffic[] traffic = new Traffic[FiveTuple.Transport.values().length];

    public RelayStats() {
        for (int i = 0; i < traffic.length; i++) {
            traffic[i] = new Traffic();
        }
    }

    /** Why a request failed authentication (RFC 8489 §9.2.4); the first 401 challenge is not a failure. */
    public enum AuthFailure {
        /**
         * USERNAME (or USERHASH), REALM or NONCE missing beside MESSAGE-INTEGRITY, a bad PASSWORD-ALGORITHM, or
         * a truncated MESSAGE-INTEGRITY-SHA256 (400).
         */
        BAD_REQUEST,
        /** NONCE expired or issued to another address (438). */
        STALE_NONCE,
        /** No credential for the username, or a USERHASH that matches none (401). */
        UNKNOWN_USER,
        /** REALM differs from ours (401). */
        WRONG_REALM,
        /** MESSAGE-INTEGRITY does not verify: a wrong password (401). */
        BAD_INTEGRITY,
        /** A REST credential past its expiry signed a request (401). */
        EXPIRED,
        /** A credential of a room that ended or a member who left or was kicked signed a request (401). */
        REVOKED;

        private final String tag = name().toLowerCase(Locale.ROOT);

        public String tag() {
            return tag;
        }
    }

    /** Packets and payload bytes relayed for clients of one transport, in both directions. */
    public static final class Traffic {
        public final LongAdder packetsToPeer = new LongAdder();
        public final LongAdder bytesToPeer = new LongAdder();
        public final LongAdder packetsToClient = new LongAdder();
        public final LongAdder bytesToClient = new LongAdder();

        public void toPeer(int bytes) {
            packetsToPeer.increment();
            bytesToPeer.add(bytes);
        }

        public void toClient(int bytes) {
            packetsToClient.increment();
            bytesToClient.add(bytes);
        }
    }

    /** The traffic counters of clients on {@code transport}: resolve once per socket, not per packet. */
    public Traffic traffic(FiveTuple.Transport transport) {
        return traffic[transport.ordinal()];
    }

    /** Index of a method number into {@link #METHODS}: its {@link TurnMethod}'s ordinal. */
    public static int methodIndex(int method) {
        return TurnMethod.of(method).ordinal();
    }

    /** Counts one response sent: by method, success or error, and the error code. */
    public void responded(int method, ErrorCode error) {
        responses[methodIndex(method)][error == null ? 0 : 1].increment();
        if (error != null) {
            errors[error.ordinal()].increment();
        }
    }

    /**
     * Counts one request left unanswered because its connection or DTLS association ended first (a client that
     * closed right after asking); neither a success nor an error was sent.
     */
    public void abandoned(int method) {
        abandoned[methodIndex(method)].increment();
    }

    public void authFailed(AuthFailure reason) {
        authFailures[reason.ordinal()].increment();
    }

    /** An Allocate got 486 because of {@code limit}. */
    public void quotaRefused(AllocationQuota.Limit limit) {
        quotaRefusals[limit.ordinal()].increment();
    }

    public long quotaRefusals(AllocationQuota.Limit limit) {
        return quotaRefusals[limit.ordinal()].sum();
    }

    public void peerRefused(PeerPolicy.RefusalReason reason) {
        peersRefused[reason.ordinal()].increment();
    }

    @Override
    public void created(Allocation allocation) {
        allocationsCreated.increment();
        active[allocation.fiveTuple().transport().ordinal()][familyIndex(allocation)].increment();
    }

    @Override
    public void refreshed(Allocation allocation) {
        allocationsRefreshed.increment();
    }

    @Override
    public void ended(Allocation allocation, EndReason reason) {
        ended[reason.ordinal()].increment();
        active[allocation.fiveTuple().transport().ordinal()][familyIndex(allocation)].decrement();
        permissionsActive.add(-allocation.permissionCount());
        channelsActive.add(-allocation.channelEntries());
    }

    @Override
    public void permissionsChanged(int delta) {
        permissionsActive.add(delta);
    }

    @Override
    public void channelsChanged(int delta) {
        channelsActive.add(delta);
    }

    // Readers for the metrics binding and tests.

    /** Responses sent for {@code method} (index into {@link #METHODS}), successes or errors. */
    public long responses(int methodIndex, boolean success) {
        return responses[methodIndex][success ? 0 : 1].sum();
    }

    /** Requests for {@code method} (index into {@link #METHODS}) whose client left before the answer. */
    public long abandonedRequests(int methodIndex) {
        return abandoned[methodIndex].sum();
    }

    public long errors(ErrorCode code) {
        return errors[code.ordinal()].sum();
    }

    public long authFailures(AuthFailure reason) {
        return authFailures[reason.ordinal()].sum();
    }

    public long ended(EndReason reason) {
        return ended[reason.ordinal()].sum();
    }

    public long peersRefused(PeerPolicy.RefusalReason reason) {
        return peersRefused[reason.ordinal()].sum();
    }

    /** Peers refused for any reason. */
    public long peersRefused() {
        long n = 0;
        for (LongAdder a : peersRefused) {
            n += a.sum();
        }
        return n;
    }

    /** Live allocations of clients on {@code transport} with relayed addresses of family index {@code family}. */
    public long active(FiveTuple.Transport transport, int family) {
        return active[transport.ordinal()][family].sum();
    }

    private static int familyIndex(Allocation allocation) {
        return allocation.relayedAddress().getAddress() instanceof Inet4Address ? 0 : 1;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    private static LongAdder[][] adders(int n, int m) {
        LongAdder[][] a = new LongAdder[n][];
        for (int i = 0; i < n; i++) {
            a[i] = adders(m);
        }
        return a;
    }
}
