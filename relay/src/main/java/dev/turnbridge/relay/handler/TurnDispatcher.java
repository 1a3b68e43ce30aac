package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.allocation.FiveTuple;
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
 *
 * <p>Answers to requests that did not authenticate go out over UDP only within the per-source limit of
 * {@link SourceRateLimiter} (amplification settings); Binding can be switched off altogether.
 */
public final class TurnDispatcher {
    private final RelayContext context;
    private final Authenticator authenticator;
    private final BindingHandler binding = new BindingHandler();
    private final IntObjectHashMap<RequestHandler> handlers = new IntObjectHashMap<>();
    private final boolean bindingEnabled;
    private final SourceRateLimiter unauthenticated;

    public TurnDispatcher(RelayContext context) {
        this.context = context;
        this.authenticator = new Authenticator(context);
        var amplification = context.settings().amplification();
        this.bindingEnabled = amplification.binding();
        this.unauthenticated = SourceRateLimiter.create(context.clock(), amplification.unauthenticatedRate(),
                amplification.unauthenticatedBurst());
        for (TurnMethod m : TurnMethod.values()) {
            RequestHandler handler = m.newHandler(context);
            if (handler != null) {
                handlers.put(m.number(), handler);
            }
        }
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
            if (!bindingEnabled) {
                context.stats().bindingDropped.increment();
                return;
            }
            context.stats().bindingRequests.increment();
            if (!withinLimit(exchange)) {
                return;
            }
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
            if (withinLimit(exchange)) {
                exchange.respond(StunMessageBuilder.error(message, ErrorCode.BAD_REQUEST), null);
            }
            return;
        }
        Authenticator.Outcome identity = authenticator.authenticate(message, client.getAddress());
        if (!identity.accepted()) {
            if (withinLimit(exchange)) {
                exchange.respond(identity.rejection(), null);
            }
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

    /**
     * Whether an unsigned answer may go to this exchange's client: always over TCP and TLS (the handshake proved
     * the address), within the per-source limit over UDP. Counts what it holds back.
     */
    private boolean withinLimit(Exchange exchange) {
        FiveTuple tuple = exchange.fiveTuple();
        if (unauthenticated == null || tuple.transport() != FiveTuple.Transport.UDP
                || unauthenticated.tryAcquire(tuple.client().getAddress())) {
            return true;
        }
        context.stats().unauthenticatedDropped.increment();
        return false;
    }
}
