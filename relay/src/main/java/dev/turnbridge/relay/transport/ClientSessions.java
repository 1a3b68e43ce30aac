package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationListener;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.handler.Exchange;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.Responder;
import dev.turnbridge.relay.handler.StreamExchange;
import dev.turnbridge.relay.handler.TransactionCache;
import dev.turnbridge.relay.handler.TurnDispatcher;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;

/**
 * The one request path under every client transport (RFC 8656 §3.1: UDP, TCP, TLS, DTLS): the allocations of
 * the clients behind one {@link ClientPort} (a UDP server socket, a TCP/TLS connection, a DTLS association),
 * their recent signed answers, the demultiplexer that relays or dispatches what they send, the responder, the
 * sweep of expiries and the registration with the server's owners for operators' snapshots. A transport is its
 * framing plus a {@link ClientPort}; everything after the framing happens here. Confined to the port's event
 * loop.
 */
final class ClientSessions implements AllocationOwner {
    /** How often allocations, permissions, channels and cached answers expire, and stream limits are checked. */
    static final long SWEEP_MILLIS = 1000;

    private final RelayContext context;
    private final RelaySockets relaySockets;
    private final ClientPort port;
    private final FiveTuple.Transport transport;
    private final AllocationTable allocations;
    private final TransactionCache transactions;
    private final ClientDemultiplexer inbound;
    private final Responder responder;
    private final Set<AllocationOwner> owners;
    private ScheduledFuture<?> sweeper;

    ClientSessions(TurnDispatcher dispatcher, RelaySockets relaySockets, ClientPort port,
            FiveTuple.Transport transport, Set<AllocationOwner> owners) {
        this.context = dispatcher.context();
        this.relaySockets = relaySockets;
        this.port = port;
        this.transport = transport;
        this.owners = owners;
        this.transactions = new TransactionCache(transactionEntries(transport));
        this.responder = new Responder(context);
        this.allocations = AllocationTable.withEndReasons(relaySockets::release);
        this.inbound = new ClientDemultiplexer(dispatcher, new PeerForwarder(context, allocations), PortExchange::new);
    }

    /**
     * Signed answers remembered for retransmitted requests (RFC 8489 §6.3.1): a UDP server socket serves many
     * clients that retransmit; a DTLS association one that does; a reliable stream sees no retransmissions, and
     * a few entries cover a client that repeats itself anyway.
     */
    static int transactionEntries(FiveTuple.Transport transport) {
        return switch (transport) {
            case UDP -> 8192;
            case DTLS -> 32;
            case TCP, TLS -> 8;
        };
    }

    /** Registers with the server's owners (the port is live). */
    void open() {
        owners.add(this);
    }

    /**
     * {@link #open}, and sweeps every {@link #SWEEP_MILLIS} on the port's event loop; after each sweep
     * {@code limits} checks the transport's own limits (a stream connection's allocation timeout and stall).
     */
    void open(LongConsumer limits) {
        open();
        sweeper = port.eventLoop().scheduleAtFixedRate(() -> {
            long now = context.now();
            sweep(now);
            limits.accept(now);
        }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Ends expired allocations and cached answers. */
    void sweep(long now) {
        allocations.expire(now);
        transactions.expire(now);
    }

    /** The port closed (or stopped being a TURN client port): every allocation ends for {@code reason}. */
    void close(AllocationListener.EndReason reason) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        owners.remove(this);
        allocations.clear(reason);
    }

    /** Handles one whole message from {@code client}; the caller keeps ownership of {@code buf}. */
    void received(ByteBuf buf, InetSocketAddress client) {
        inbound.handle(buf, client);
    }

    /** Sends what this read batch relayed. */
    void flush() {
        inbound.flush();
    }

    /** Counts a message dropped before it was whole (size, framing); logged as the demultiplexer's own. */
    void malformed(String reason) {
        inbound.malformed(reason);
    }

    /** Whether the client holds an allocation or is getting one (stream and DTLS idle limits). */
    boolean holdsAllocation(InetSocketAddress client) {
        return allocations.size() > 0 || allocations.isPending(client);
    }

    @Override
    public EventLoop eventLoop() {
        return port.eventLoop();
    }

    @Override
    public AllocationTable allocations() {
        return allocations;
    }

    /** A request that arrived through this port. */
    private final class PortExchange implements Exchange {
        private final FiveTuple fiveTuple;

        PortExchange(InetSocketAddress client) {
            this.fiveTuple = port.fiveTuple(client);
        }

        @Override
        public FiveTuple fiveTuple() {
            return fiveTuple;
        }

        @Override
        public AllocationTable allocations() {
            return allocations;
        }

        @Override
        public TransactionCache transactions() {
            return transactions;
        }

        @Override
        public boolean isClosed() {
            return port.isClosed();
        }

        @Override
        public void resend(byte[] encoded) {
            port.send(fiveTuple.client(), encoded);
        }

        @Override
        public void respond(StunMessageBuilder response, byte[] integrityKey) {
            responder.respond(this, response, integrityKey);
        }

        @Override
        public void openRelaySocket(InetAddress ip, int relayPort, BiConsumer<RelaySocket, Throwable> done) {
            relaySockets.open(port.eventLoop(), port.link(fiveTuple.client()), transport, ip, relayPort,
                    unlessClosed(done));
        }

        @Override
        public StreamExchange stream() {
            return port.stream();
        }
    }

    /**
     * Wraps the callback of a relay socket being bound: a client that left meanwhile gets no socket, for nothing
     * may outlive its connection or association.
     */
    BiConsumer<RelaySocket, Throwable> unlessClosed(BiConsumer<RelaySocket, Throwable> done) {
        return (socket, failure) -> {
            if (socket != null && port.isClosed()) {
                socket.close();
                done.accept(null, new ClosedChannelException());
                return;
            }
            done.accept(socket, failure);
        };
    }
}
