package dev.turnbridge.relay.handler;

import dev.turnbridge.config.LifetimeSettings;
import dev.turnbridge.config.QuotaSettings;
import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.TcpRelaySocket;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * ChannelBind (RFC 8656 §11.2): binds a channel number in 0x4000-0x4FFF to a peer transport address, or
 * refreshes an identical binding, and installs or refreshes the permission for the peer's IP. A number bound
 * to another peer, or a peer bound to another number, is a 400; so is ChannelBind on a TCP allocation, which
 * has no channels (RFC 6062 §5.1).
 */
final class ChannelBindHandler implements RequestHandler {
    static final int MIN_CHANNEL = 0x4000;
    static final int MAX_CHANNEL = 0x4FFF;
    static final int MAX_RFC5766_CHANNEL = 0x7FFF;

    private final Clock clock;
    private final PeerChecks peerChecks;
    private final QuotaSettings quotas;
    private final LifetimeSettings lifetimes;
    private final int maxChannel;

    /** @param rfc5766Channels {@code relay.rfc5766-channels}: numbers up to 0x7FFF, as RFC 5766 allowed */
    ChannelBindHandler(Clock clock, PeerChecks peerChecks, QuotaSettings quotas, LifetimeSettings lifetimes,
            boolean rfc5766Channels) {
        this.clock = clock;
        this.peerChecks = peerChecks;
        this.quotas = quotas;
        this.lifetimes = lifetimes;
        this.maxChannel = rfc5766Channels ? MAX_RFC5766_CHANNEL : MAX_CHANNEL;
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        long now = clock.millis();
        Allocation allocation = OwnedAllocation.find(request, exchange, identity, now);
        if (allocation == null) {
            return;
        }
        if (allocation.relaySocket() instanceof TcpRelaySocket) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
            return;
        }
        int number = request.channelNumber();
        List<InetSocketAddress> peers = request.peerAddresses();
        if (number < MIN_CHANNEL || number > maxChannel || peers.size() != 1) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
            return;
        }
        InetSocketAddress peer = peers.get(0);
        ErrorCode refused = peerChecks.check(allocation, peer);
        if (refused != null) {
            exchange.respond(StunMessageBuilder.error(request, refused), identity.key());
            return;
        }
        switch (allocation.checkBind(number, peer, now, quotas.channelsPerAllocation())) {
            case OK -> { }
            case QUOTA -> {
                exchange.respond(StunMessageBuilder.error(request, ErrorCode.INSUFFICIENT_CAPACITY), identity.key());
                return;
            }
            default -> {
                exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
                return;
            }
        }
        if (!allocation.installPermission(peer.getAddress(), now + lifetimes.permission().toMillis(),
                quotas.permissionsPerAllocation())) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.INSUFFICIENT_CAPACITY), identity.key());
            return;
        }
        allocation.bindChannel(number, peer, now + lifetimes.channel().toMillis());
        exchange.respond(StunMessageBuilder.success(request), identity.key());
    }
}
