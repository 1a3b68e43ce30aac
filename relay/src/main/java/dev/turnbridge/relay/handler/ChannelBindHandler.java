package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * ChannelBind (RFC 8656 §11.2): binds a channel number in 0x4000-0x4FFF to a peer transport address, or
 * refreshes an identical binding, and installs or refreshes the permission for the peer's IP. A number bound
 * to another peer, or a peer bound to another number, is a 400.
 */
final class ChannelBindHandler implements RequestHandler {
    static final int MIN_CHANNEL = 0x4000;
    static final int MAX_CHANNEL = 0x4FFF;
    static final int MAX_RFC5766_CHANNEL = 0x7FFF;

    private final RelayContext context;
    private final int maxChannel;

    ChannelBindHandler(RelayContext context) {
        this.context = context;
        this.maxChannel = context.settings().relay().rfc5766Channels() ? MAX_RFC5766_CHANNEL : MAX_CHANNEL;
    }

    @Override
    public void handle(StunMessage request, Exchange exchange, Authenticator.Outcome identity) {
        long now = context.now();
        Allocation allocation = OwnedAllocation.find(request, exchange, identity, now);
        if (allocation == null) {
            return;
        }
        int number = request.channelNumber();
        List<InetSocketAddress> peers = request.peerAddresses();
        if (number < MIN_CHANNEL || number > maxChannel || peers.size() != 1) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.BAD_REQUEST), identity.key());
            return;
        }
        InetSocketAddress peer = peers.get(0);
        ErrorCode refused = PeerChecks.check(allocation, peer, context);
        if (refused != null) {
            exchange.respond(StunMessageBuilder.error(request, refused), identity.key());
            return;
        }
        var quotas = context.settings().quotas();
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
        var lifetimes = context.settings().lifetimes();
        if (!allocation.installPermission(peer.getAddress(), now + lifetimes.permission().toMillis(),
                quotas.permissionsPerAllocation())) {
            exchange.respond(StunMessageBuilder.error(request, ErrorCode.INSUFFICIENT_CAPACITY), identity.key());
            return;
        }
        allocation.bindChannel(number, peer, now + lifetimes.channel().toMillis());
        exchange.respond(StunMessageBuilder.success(request), identity.key());
    }
}
