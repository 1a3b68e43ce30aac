package dev.turnbridge.relay.handler;

import dev.turnbridge.config.QuotaSettings;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.TcpRelaySocket;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Connect (RFC 6062 §5.2): opens a TCP connection from a TCP allocation's relayed address to the peer in
 * XOR-PEER-ADDRESS and answers with its CONNECTION-ID once established. In order: the allocation must exist and
 * be a TCP one (437, 400), one XOR-PEER-ADDRESS (400), of a family the allocation has (443), permitted by the
 * peer policy (403: this is where the coturn CVE-2020-26262 case, 0.0.0.0 or ::ffff:127.0.0.1 reaching the
 * relay host itself, is refused), with no connection to that peer already made or being made (446), within
 * {@code quotas.connections-per-allocation} (508). The permission for the peer's IP is installed or refreshed
 * (so that the peer's data is accepted), then the connection is attempted: failure or 30 s without success is
 * a 447.
 */
final class ConnectHandler implements RequestHandler {
    private final Clock clock;
    private final PeerChecks peerChecks;
    private final QuotaSettings quotas;
    private final long permissionMillis;

    /** @param permission {@code lifetimes.permission}, for the permission Connect installs */
    ConnectHandler(Clock clock, PeerChecks peerChecks, QuotaSettings quotas, Duration permission) {
        this.clock = clock;
        this.peerChecks = peerChecks;
        this.quotas = quotas;
        this.permissionMillis = permission.toMillis();
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        long now = clock.millis();
        Allocation allocation = OwnedAllocation.find(request, exchange, identity, now);
        if (allocation == null) {
            return;
        }
        List<InetSocketAddress> peers = request.peerAddresses();
        PeerConnections<?> connections = exchange.stream() == null ? null : exchange.stream().peerConnections();
        if (!(allocation.relaySocket() instanceof TcpRelaySocket) || connections == null || peers.size() != 1) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity);
            return;
        }
        InetSocketAddress peer = peers.get(0);
        if (!(allocation.relaySocketFor(peer.getAddress()) instanceof TcpRelaySocket socket)) {
            reply(request, exchange, ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH, identity);
            return;
        }
        ErrorCode refused = peerChecks.checkTcp(allocation, peer, connections);
        if (refused != null) {
            reply(request, exchange, refused, identity);
            return;
        }
        if (socket.hasConnection(peer)) {
            reply(request, exchange, ErrorCode.CONNECTION_ALREADY_EXISTS, identity);
            return;
        }
        if (socket.connectionCount() >= quotas.connectionsPerAllocation()
                || !allocation.installPermission(peer.getAddress(),
                        now + permissionMillis,
                        quotas.permissionsPerAllocation())) {
            reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
            return;
        }
        socket.connect(peer, id -> {
            if (id < 0) {
                reply(request, exchange, ErrorCode.CONNECTION_TIMEOUT_OR_FAILURE, identity);
            } else {
                exchange.respond(StunMessageBuilder.success(request).connectionId(id), identity.key());
            }
        });
    }

    private static void reply(StunMessage request, Exchange exchange, ErrorCode code, Authenticator.Outcome identity) {
        exchange.respond(StunMessageBuilder.error(request, code), identity.key());
    }
}
