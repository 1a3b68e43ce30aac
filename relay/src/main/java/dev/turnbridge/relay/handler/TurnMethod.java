package dev.turnbridge.relay.handler;

import dev.turnbridge.relay.stun.StunMethod;
import java.util.function.Function;

/**
 * The request methods this server answers (RFC 8489 §18.2, RFC 8656 §17, RFC 6062 §6.1), each with its metric
 * tag (and through its ordinal its counters in {@link RelayStats}) and the handler that serves it, built with the
 * values that handler needs rather than the whole context. A new method is one entry here and its handler class. Binding has no handler entry: it is answered without
 * authentication, by the dispatcher itself (RFC 8489 §7.3.1).
 */
public enum TurnMethod {
    BINDING(StunMethod.BINDING, "binding", null),
    ALLOCATE(StunMethod.ALLOCATE, "allocate", c -> new AllocateHandler(c, new RelayAddresses(c.settings().relay()))),
    REFRESH(StunMethod.REFRESH, "refresh",
            c -> new RefreshHandler(c.clock(), c.settings().lifetimes(), c.stats())),
    CREATE_PERMISSION(StunMethod.CREATE_PERMISSION, "create_permission",
            c -> new CreatePermissionHandler(c.clock(), new PeerChecks(c),
                    c.settings().quotas().permissionsPerAllocation(), c.settings().lifetimes().permission())),
    CHANNEL_BIND(StunMethod.CHANNEL_BIND, "channel_bind",
            c -> new ChannelBindHandler(c.clock(), new PeerChecks(c), c.settings().quotas(),
                    c.settings().lifetimes(), c.settings().relay().rfc5766Channels())),
    CONNECT(StunMethod.CONNECT, "connect",
            c -> new ConnectHandler(c.clock(), new PeerChecks(c), c.settings().quotas(),
                    c.settings().lifetimes().permission())),
    CONNECTION_BIND(StunMethod.CONNECTION_BIND, "connection_bind", c -> new ConnectionBindHandler()),
    /** Any other method number: counted together, answered 400. */
    OTHER(-1, "other", null);

    private static final TurnMethod[] BY_NUMBER = new TurnMethod[0x1000];

    static {
        java.util.Arrays.fill(BY_NUMBER, OTHER);
        for (TurnMethod m : values()) {
            if (m.number >= 0) {
                BY_NUMBER[m.number] = m;
            }
        }
    }

    private final int number;
    private final String tag;
    private final Function<RelayContext, RequestHandler> handler;

    TurnMethod(int number, String tag, Function<RelayContext, RequestHandler> handler) {
        this.number = number;
        this.tag = tag;
        this.handler = handler;
    }

    /** The method of a 12-bit method number; {@link #OTHER} for any this server does not serve. */
    public static TurnMethod of(int number) {
        return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : OTHER;
    }

    /** The method number on the wire, -1 for {@link #OTHER}. */
    public int number() {
        return number;
    }

    /** The metric tag and log name: lower case, fixed. */
    public String tag() {
        return tag;
    }

    /** Builds this method's handler; null for Binding (answered unauthenticated) and {@link #OTHER}. */
    RequestHandler newHandler(RelayContext context) {
        return handler == null ? null : handler.apply(context);
    }
}
