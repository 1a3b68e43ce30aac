package dev.turnbridge.relay.handler;

import dev.turnbridge.credentials.RoomCredential;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationQuota;
import dev.turnbridge.relay.allocation.RelayPortPool;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.allocation.RelayedAddress;
import dev.turnbridge.relay.allocation.RoomShare;
import dev.turnbridge.relay.stun.AttributeType;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Allocate (RFC 8656 §7.2): checks the request, claims quota and a relay port (random, even, reserved pair
 * or redeemed reservation), binds the relay socket of the requested family (REQUESTED-ADDRESS-FAMILY, IPv4
 * by default) and, for ADDITIONAL-ADDRESS-FAMILY, a second IPv6 one (a dual allocation; when that part
 * fails the allocation still succeeds with ADDRESS-ERROR-CODE). Answers with XOR-RELAYED-ADDRESS per family,
 * LIFETIME, RESERVATION-TOKEN when one was made, and XOR-MAPPED-ADDRESS.
 *
 * <p>REQUESTED-TRANSPORT TCP asks for a TCP allocation (RFC 6062 §5.1): only over a TCP or TLS connection
 * (400 otherwise), without EVEN-PORT, RESERVATION-TOKEN or DONT-FRAGMENT (400); its relayed address is a
 * listening TCP socket.
 */
final class AllocateHandler implements RequestHandler {
    private static final int UDP = 17;
    private static final int TCP = 6;
    private static final int FAMILY_IPV4 = 1;
    private static final int FAMILY_IPV6 = 2;
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
                respondSuccess(request, exchange, existing, null, null, identity.key(), now);
            } else {
                reply(request, exchange, ErrorCode.ALLOCATION_MISMATCH, identity);
            }
            return;
        }
        if (context.gate().draining()) {
            refuseWhileDraining(request, exchange, identity);
            return;
        }
        int transport = request.requestedTransport();
        if (transport < 0) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity);
            return;
        }
        boolean tcp = transport == TCP && context.settings().relay().tcpAllocations();
        if (transport != UDP && !tcp) {
            reply(request, exchange, ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL, identity);
            return;
        }
        byte[] token = request.reservationToken();
        Boolean evenPort = request.evenPortReserveNext();
        if (tcp && (exchange.stream() == null || token != null || evenPort != null
                || request.has(AttributeType.DONT_FRAGMENT))) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity); // RFC 6062 §5.1
            return;
        }
        int family = request.requestedAddressFamily();
        int additional = request.additionalAddressFamily();
        // RFC 8656 §7.2: a token excludes the family attributes, the two family attributes exclude each other,
        // and only IPv6 can be the additional family
        if ((token != null && (evenPort != null || family >= 0 || additional >= 0))
                || (family >= 0 && additional >= 0) || (additional >= 0 && additional != FAMILY_IPV6)) {
            reply(request, exchange, ErrorCode.BAD_REQUEST, identity);
            return;
        }
        boolean ipv6 = family == FAMILY_IPV6;
        InetAddress advertised = (family >= 0 && family != FAMILY_IPV4 && family != FAMILY_IPV6) ? null
                : addresses.advertised(exchange.fiveTuple(), ipv6);
        if (advertised == null) {
            reply(request, exchange, ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED, identity);
            return;
        }
        InetAddress advertisedV6 = additional == FAMILY_IPV6 ? addresses.advertised(exchange.fiveTuple(), true) : null;
        AllocationQuota.Claim claim = claim(identity.holder(), client.getAddress());
        AllocationQuota.Limit refused = context.quota().tryAcquire(claim);
        if (refused != null) {
            context.stats().quotaRefused(refused);
            reply(request, exchange, ErrorCode.ALLOCATION_QUOTA_REACHED, identity);
            return;
        }
        RoomShare room = claim.room() == null ? null : context.rooms().open(claim.room());
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
            release(claim, room);
            reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
            return;
        }
        exchange.allocations().markPending(client);
        byte[] reservation = newToken;
        PortChoice choice = token != null || Boolean.TRUE.equals(evenPort) ? PortChoice.FIXED
                : evenPort != null ? PortChoice.EVEN : PortChoice.ANY;
        bind(exchange, tcp, addresses.bindAddress(ipv6), port, choice, BIND_ATTEMPTS, socket -> {
            if (socket == null) {
                exchange.allocations().clearPending(client);
                release(claim, room);
                // no port could be bound, or the client left meanwhile (then counted as abandoned, not as a 508)
                reply(request, exchange, ErrorCode.INSUFFICIENT_CAPACITY, identity);
                return;
            }
            RelayedAddress primary = new RelayedAddress(socket,
                    new InetSocketAddress(advertised, socket.localAddress().getPort()));
            if (additional != FAMILY_IPV6) {
                complete(request, exchange, identity, claim, room, List.of(primary), reservation, null);
            } else if (advertisedV6 == null) {
                complete(request, exchange, identity, claim, room, List.of(primary), reservation,
                        ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED);
            } else {
                bindAdditionalIpv6(request, exchange, identity, claim, room, tcp, primary, advertisedV6,
                        reservation);
            }
        });
    }

    private void bindAdditionalIpv6(StunMessage request, Exchange exchange, Authenticator.Outcome identity,
            AllocationQuota.Claim claim, RoomShare room, boolean tcp, RelayedAddress primary,
            InetAddress advertisedV6, byte[] reservation) {
        int port = context.ports().acquire(false);
        if (port < 0) {
            complete(request, exchange, identity, claim, room, List.of(primary), reservation,
                    ErrorCode.INSUFFICIENT_CAPACITY);
            return;
        }
        bind(exchange, tcp, addresses.bindAddress(true), port, PortChoice.ANY, BIND_ATTEMPTS, socket -> {
            if (socket == null) {
                complete(request, exchange, identity, claim, room, List.of(primary), reservation,
                    ErrorCode.INSUFFICIENT_CAPACITY);
                return;
            }
            RelayedAddress secondary = new RelayedAddress(socket,
                    new InetSocketAddress(advertisedV6, socket.localAddress().getPort()));
            complete(request, exchange, identity, claim, room, List.of(primary, secondary), reservation, null);
        });
    }

    /** Which other port may replace one that turns out to be taken. */
    private enum PortChoice {
        /** Any port. */
        ANY,
        /** Another even port (EVEN-PORT without the R bit). */
        EVEN,
        /** None: the port was promised (RESERVATION-TOKEN, or EVEN-PORT whose successor is now reserved). */
        FIXED
    }

    /**
     * Binds a relay socket, moving to another port when someone outside this server holds the one chosen
     * (the relay range may overlap the kernel's ephemeral ports), unless the port was promised. {@code done}
     * gets the socket, or null after the port went back to the pool.
     */
    private void bind(Exchange exchange, boolean tcp, InetAddress ip, int port, PortChoice choice, int attemptsLeft,
            Consumer<RelaySocket> done) {
        BiConsumer<RelaySocket, Throwable> bound = (socket, failure) -> {
            if (failure == null) {
                done.accept(socket);
                return;
            }
            RelayPortPool ports = context.ports();
            if (choice != PortChoice.FIXED && attemptsLeft > 1 && !(failure instanceof ClosedChannelException)) {
                int next = ports.acquire(choice == PortChoice.EVEN);
                ports.release(port);
                if (next >= 0) {
                    bind(exchange, tcp, ip, next, choice, attemptsLeft - 1, done);
                    return;
                }
            } else {
                ports.release(port);
            }
            done.accept(null);
        };
        if (tcp) {
            exchange.stream().openTcpRelaySocket(ip, port, bound);
        } else {
            exchange.openRelaySocket(ip, port, bound);
        }
    }

    private void complete(StunMessage request, Exchange exchange, Authenticator.Outcome identity,
            AllocationQuota.Claim claim, RoomShare room, List<RelayedAddress> relayed, byte[] reservation,
            ErrorCode additionalFailed) {
        exchange.allocations().clearPending(exchange.fiveTuple().client());
        long now = context.now();
        long lifetime = Lifetimes.grantSeconds(request.lifetime(), context.settings().lifetimes());
        Allocation allocation = new Allocation(exchange.fiveTuple(), identity.username(), identity.key(),
                request.transactionId(), relayed, now, now + lifetime * 1000, context.stats(), claim, room);
        if (room != null) {
            context.rooms().joined(room, allocation); // before put: a closed table ends it at once
        }
        exchange.allocations().put(allocation);
        for (RelayedAddress r : relayed) {
            r.socket().start(allocation);
        }
        context.stats().created(allocation);
        if (room != null && context.revocations().isRevoked(identity.holder())) {
            // revoked while its relay socket was being bound: the revocation's sweep of the tables came too early
            exchange.allocations().remove(exchange.fiveTuple().client(), AllocationListener.EndReason.REVOKED);
            exchange.respond(new Authenticator(context).challenge(request, ErrorCode.UNAUTHENTICATED,
                    exchange.fiveTuple().client().getAddress()), null);
            return;
        }
        respondSuccess(request, exchange, allocation, reservation, additionalFailed, identity.key(), now);
    }

    private void respondSuccess(StunMessage request, Exchange exchange, Allocation allocation, byte[] token,
            ErrorCode additionalFailed, byte[] key, long now) {
        long remaining = Math.max(0, (allocation.expiresAtMillis() - now + 999) / 1000);
        StunMessageBuilder response = StunMessageBuilder.success(request);
        for (RelayedAddress r : allocation.relayedAddresses()) {
            response.xorRelayedAddress(r.advertised());
        }
        if (additionalFailed != null) {
            response.addressErrorCode(FAMILY_IPV6, additionalFailed);
        }
        response.lifetime(remaining);
        if (token != null) {
            response.reservationToken(token);
        }
        response.xorMappedAddress(exchange.fiveTuple().client());
        exchange.respond(response, key);
    }

    /**
     * Who the allocation counts against: a room member by its member key, its room, and its user (the user
     * id signaling recorded, else the member itself); anyone else by the REST id without its expiry (or the
     * static username); everyone by client IP. Never by the whole username, which changes with every fresh
     * credential.
     */
    private AllocationQuota.Claim claim(RoomCredential holder, InetAddress client) {
        if (!holder.inRoom()) {
            return new AllocationQuota.Claim(holder.id(), null, null, client);
        }
        String user = context.directory().userId(holder.room(), holder.member());
        return new AllocationQuota.Claim(user == null ? holder.memberKey() : user, holder.memberKey(),
                holder.room(), client);
    }

    private void release(AllocationQuota.Claim claim, RoomShare room) {
        context.quota().release(claim);
        if (room != null) {
            context.rooms().close(room);
        }
    }

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

    private static void reply(StunMessage request, Exchange exchange, ErrorCode code,
            Authenticator.Outcome identity) {
        exchange.respond(StunMessageBuilder.error(request, code), identity.key());
    }
}
