package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.ErrorCode;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import io.netty.util.collection.IntObjectHashMap;

/**
 * Routes decoded STUN requests (RFC 8489 §6.3) by method to one handler each, after the steps every
 * request shares: retransmission lookup, attribute sanity (400), authentication (401/438), and unknown
 * comprehension-required attributes (420, checked after authentication as RFC 8489 §6.3.1 orders it).
 * ChannelData and Send indications never come here: the transport relays them directly.
 */
public final class TurnDispatcher {
    private final RelayContext context;
    private final Authenticator authenticator;
    private final BindingHandler binding = new BindingHandler();
    private final IntObjectHashMap<RequestHandler> handlers = new IntObjectHashMap<>();

    public TurnDispatcher(RelayContext context) {
        this.context = context;
        this.authenticator = new Authenticator(context);
        RelayAddresses addresses = new RelayAddresses(context.settings().relay());
        handlers.put(StunMethod.ALLOCATE, new AllocateHandler(context, addresses));
        handlers.put(StunMethod.REFRESH, new RefreshHandler(context));
        handlers.put(StunMethod.CREATE_PERMISSION, new CreatePermissionHandler(context));
        handlers.put(StunMethod.CHANNEL_BIND, new ChannelBindHandler(context));
    }

    public RelayContext context() {
        return context;
    }

    /** Handles one request; indications and responses that reach here are ignored (RFC 8489 §6.3). */
    public void dispatch(StunMessage message, Exchange exchange) {
        if (message.messageClass() != StunClass.REQUEST) {
            return;
        }
        long now = context.now();
        var client = exchange.fiveTuple().client();
        byte[] cached = exchange.transactions().get(client, message.transactionId(), now);
        if (cached != null) {
            exchange.resend(cached);
            return;
        }
        int method = message.method();
        if (method == StunMethod.BINDING) {
            context.stats().bindingRequests.increment();
            if (!message.attributesWellFormed()) {
                exchange.respond(StunMessageBuilder.error(message, ErrorCode.BAD_REQUEST), null);
            } else if (message.unknownComprehensionRequired().length > 0) {
                exchange.respond(StunMessageBuilder.error(message, ErrorCode.UNKNOWN_ATTRIBUTE)
                        .unknownAttributes(message.unknownComprehensionRequired()), null);
            } else {
                binding.handle(message, exchange);
            }
            return;
        }
        RequestHandler handler = handlers.get(method);
        if (handler == null || !message.attributesWellFormed()) {
            exchange.respond(StunMessageBuilder.error(message, ErrorCode.BAD_REQUEST), null);
            return;
        }
        Authenticator.Outcome identity = authenticator.authenticate(message, client.getAddress());
        if (!identity.accepted()) {
            exchange.respond(identity.rejection(), null);
            return;
        }
        int[] unknown = message.unknownComprehensionRequired();
        if (unknown.length > 0) {
            exchange.respond(StunMessageBuilder.error(message, ErrorCode.UNKNOWN_ATTRIBUTE).unknownAttributes(unknown),
                    identity.key());
            return;
        }
        handler.handle(message, exchange, identity);
    }
}
