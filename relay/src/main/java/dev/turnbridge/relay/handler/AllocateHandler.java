package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Allocate (RFC 8656 §7.2): checks the request, claims quota and a relay port (random, even, reserved pair
 * or redeemed reservation), binds the relay socket, and answers with XOR-RELAYED-ADDRESS, LIFETIME,
 * RESERVATION-TOKEN when one was made, and XOR-MAPPED-ADDRESS.
 */
final class AllocateHandler implements RequestHandler {
    private static final int UDP = 17;
    private static final int FAMILY_IPV4 = 1;
    private static final int BIND_ATTEMPTS = 8;

    private final RelayContext context;
    private final RelayAddresses addresses;

    AllocateHandler(RelayContext context, RelayAddresses addresses) {
        this.context = context;
        this.addresses = addresses;
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        InetSocketAddress client = exchange.fiveTuple().client();
        long now = context.now();
        if (exchange.allocations().isPending(client)) {
            return; // a retransmission while the relay socket is still being bound: the first one answers
        }
        Allocation existing = exchange.allocations().get(client, now);
        if (existing != null) {
            if (Arrays.equals(existing.transactionId(), request.transactionId())) {
                respondSuccess(request, exchange, existing, null, identity.key(), now);
            } else {
                reply(request, exchange, ErrorCode.ALLOCATION_MISMATCH, identity);
            }
            return;
        }
        if (context.gate().draining()) {
            refuseWhileDraining(request, exchange, identity);
            return;
        }
        if (identity.credentialExpired()) {
            context.stats().authFailed(RelayStats.AuthFailure.EXPIRED);
            exchange.respond(new Authenticator(context).challenge(request, ErrorCode.UNAUTHENTICATED,
                    client.getAddress()), null);
            return;
        }
        int transport = request.requestedTransport();
        if (transport < 0) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity);
            return;
        }
        if (transport != UDP) {
            reply(request, exchange, ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL, identity);
            return;
        }
        byte[] token = request.reservationToken();
        Boolean evenPort = request.evenPortReserveNext();
        int family = request.requestedAddressFamily();
        if (token != null && (evenPort != null || family >= 0)) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity);
            return;
        }
        if (family >= 0 && family != FAMILY_IPV4) {
            reply(request, exchange, ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED, identity);
            return;
        }
        if (!context.quota().tryAcquire(identity.username())) {
            reply(request, exchange, ErrorCode.ALLOCATION_QUOTA_REACHED, identity);
            return;
        }
        RelayPortPool ports = context.ports();
        int port;
        byte[] newToken = null;
        if (token != null) {
            port = ports.redeem(token);
        } else if (Boolean.TRUE.equals(evenPort)) {
            RelayPortPool.EvenPair pair = ports.acquireEvenWithReservation();
            port = pair == null ? -1 : pair.port();
            newToken = pair == null ? null : pair.token();
        } else {
            port = ports.acquire(evenPort != null);
        }
        if (port < 0) {
            context.quota().release(identity.username());
            reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
            return;
        }
        exchange.allocations().markPending(client);
        bind(request, exchange, identity, port, newToken, evenPort != null || token != null, BIND_ATTEMPTS);
    }

    private void bind(StunMessage request, Exchange exchange, Authenticator.Outcome identity, int port,
            byte[] newToken, boolean portIsFixed, int attemptsLeft) {
        InetSocketAddress client = exchange.fiveTuple().client();
        InetAddress bindIp = addresses.bindAddress();
        exchange.openRelaySocket(bindIp, port, (socket, failure) -> {
            if (failure != null) {
                // someone outside this server holds the port: try another unless the port was promised
                RelayPortPool ports = context.ports();
                if (!portIsFixed && attemptsLeft > 1) {
                    int next = ports.acquire(false);
                    ports.release(port);
                    if (next >= 0) {
                        bind(request, exchange, identity, next, null, false, attemptsLeft - 1);
                        return;
                    }
                } else {
                    ports.release(port);
                }
                exchange.allocations().clearPending(client);
                context.quota().release(identity.username());
                reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
                return;
            }
            exchange.allocations().clearPending(client);
            long now = context.now();
            long lifetime = Lifetimes.grantSeconds(request.lifetime(), context.settings().lifetimes());
            InetSocketAddress relayed = new InetSocketAddress(
                    addresses.advertised(exchange.fiveTuple()), socket.localAddress().getPort());
            Allocation allocation = new Allocation(exchange.fiveTuple(), identity.username(), identity.key(),
                    request.transactionId(), socket, relayed, now, now + lifetime * 1000, context.stats());
            exchange.allocations().put(allocation);
            socket.start(allocation);
            context.stats().created(allocation);
            respondSuccess(request, exchange, allocation, newToken, identity.key(), now);
        });
    }

    // After authentication, so that the 300 is signed and a client may trust its ALTERNATE-SERVER (RFC 8489 §10).
    private void refuseWhileDraining(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        context.stats().allocationsRefusedDraining.increment();
        InetSocketAddress alternate = context.gate().nextAlternate();
        if (alternate == null) {
            reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
        } else {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.TRY_ALTERNATE).alternateServer(alternate),
                    identity.key());
        }
    }

    private void respondSuccess(StunMessage request, Exchange exchange, Allocation allocation, byte[] token,
            byte[] key, long now) {
        long remaining = Math.max(0, (allocation.expiresAtMillis() - now + 999) / 1000);
        StunMessageBuilder response = StunMessageBuilder.success(request)
                .xorRelayedAddress(allocation.relayedAddress())
                .lifetime(remaining);
        if (token != null) {
            response.reservationToken(token);
        }
        response.xorMappedAddress(exchange.fiveTuple().client());
        exchange.respond(response, key);
    }

    private static void reply(StunMessage request, Exchange exchange, ErrorCode code,
            Authenticator.Outcome identity) {
        exchange.respond(StunMessageBuilder.error(request, code), identity.key());
    }
}
