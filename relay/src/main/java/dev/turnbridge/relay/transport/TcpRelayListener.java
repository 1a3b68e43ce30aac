package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.Allocation;
import dev.turnbridge.relay.allocation.PeerConnections;
import dev.turnbridge.relay.allocation.PeerPolicy;
import dev.turnbridge.relay.allocation.TcpRelaySocket;
import dev.turnbridge.relay.handler.RelayContext;
import dev.turnbridge.relay.handler.RelayStats;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The relayed transport address of a TCP allocation (RFC 6062 §5.1): a listening socket on the relay port that
 * accepts peers, and the source of connections to peers (Connect), which bind the same address (SO_REUSEADDR
 * and SO_REUSEPORT on both). Keeps the allocation's peer data connections by peer address: an accepted peer
 * needs a permission and the peer policy's consent, and is announced to the client with a ConnectionAttempt
 * indication (§5.3); connections not established, or not bound by a ConnectionBind, within 30 s are closed
 * (§5.2-5.3). Closing it (the allocation ended) closes every peer data connection, and with them the client
 * data connections. Confined to the event loop of the client's control connection, which it shares.
 */
final class TcpRelayListener implements TcpRelaySocket {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RelayContext context;
    private final PeerConnections<PeerConnectionHandler> registry;
    private final ClientLink client;
    private final EventLoop loop;
    private final RelaySockets bootstraps;
    private final RelayStats.Traffic traffic;
    private final Map<InetSocketAddress, PeerConnectionHandler> connections = new HashMap<>();
    private Channel listener;
    private InetSocketAddress localAddress;
    private Allocation allocation;
    private ScheduledFuture<?> sweeper;
    private boolean closed;

    TcpRelayListener(RelayContext context, PeerConnections<PeerConnectionHandler> registry, ClientLink client, EventLoop loop,
            RelaySockets bootstraps, RelayStats.Traffic traffic) {
        this.context = context;
        this.registry = registry;
        this.client = client;
        this.loop = loop;
        this.bootstraps = bootstraps;
        this.traffic = traffic;
    }

    void bound(Channel listening) {
        this.listener = listening;
        this.localAddress = (InetSocketAddress) listening.localAddress();
        registry.listening(localAddress.getPort());
        sweeper = loop.scheduleAtFixedRate(this::sweep, ClientSessions.SWEEP_MILLIS, ClientSessions.SWEEP_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void start(Allocation owner) {
        this.allocation = owner;
    }

    @Override
    public void send(ByteBuf payload, InetSocketAddress peer) {
        payload.release(); // RFC 6062 §5.1: a TCP allocation relays nothing from Send indications
        context.stats().dataDropped.increment();
    }

    @Override
    public boolean hasConnection(InetSocketAddress peer) {
        return connections.containsKey(peer);
    }

    @Override
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public void connect(InetSocketAddress peer, LongConsumer done) {
        PeerConnectionHandler connection = new PeerConnectionHandler(allocation.username(), peer, traffic,
                PeerConnectionHandler.State.CONNECTING, context.now());
        ChannelFuture attempt = bootstraps.connector(loop, connection).connect(peer, localAddress);
        track(connection);
        attempt.channel().closeFuture().addListener(f -> forget(connection));
        attempt.addListener(f -> {
            if (!f.isSuccess() || closed) {
                attempt.channel().close();
                if (!closed) {
                    done.accept(-1);
                }
                return;
            }
            long id = registry.register(connection);
            connection.waitForBind(id, context.now());
            done.accept(id);
        });
    }

    /** A peer connected to the relayed address (§5.3); called on this listener's loop. */
    void accepted(Channel peerChannel) {
        InetSocketAddress peer = (InetSocketAddress) peerChannel.remoteAddress();
        long now = context.now();
        Allocation a = allocation;
        if (closed || a == null || !a.isLive(now) || !a.permits(peer.getAddress(), now)
                || connections.containsKey(peer)
                || connections.size() >= context.settings().quotas().connectionsPerAllocation()) {
            peerChannel.close();
            return;
        }
        PeerPolicy.Verdict verdict = context.tcpPeerVerdict(peer, registry);
        if (!verdict.isPermitted()) {
            context.stats().peerRefused(verdict.reason());
            peerChannel.close();
            return;
        }
        PeerConnectionHandler connection = new PeerConnectionHandler(a.username(), peer, traffic,
                PeerConnectionHandler.State.CONNECTING, now);
        peerChannel.pipeline().addLast("peer", connection);
        track(connection);
        peerChannel.closeFuture().addListener(f -> forget(connection));
        long id = registry.register(connection);
        connection.waitForBind(id, now);
        byte[] transactionId = new byte[12];
        RANDOM.nextBytes(transactionId);
        byte[] indication = StunMessageBuilder.of(StunMethod.CONNECTION_ATTEMPT, StunClass.INDICATION, transactionId)
                .xorPeerAddress(peer)
                .connectionId(id)
                .encode(context.settings().software(), null);
        client.send(Unpooled.wrappedBuffer(indication));
        client.flush();
    }

    private void track(PeerConnectionHandler connection) {
        if (connections.put(connection.peer(), connection) == null) {
            context.stats().peerConnectionsActive.increment();
        }
    }

    private void untrack(PeerConnectionHandler connection) {
        if (connections.remove(connection.peer(), connection)) {
            context.stats().peerConnectionsActive.decrement();
        }
    }

    private void forget(PeerConnectionHandler connection) {
        untrack(connection);
        if (connection.id() >= 0) {
            registry.withdraw(connection.id(), connection);
        }
    }

    /** Ends connections not established or not bound in time (RFC 6062 §5.2-5.3). */
    private void sweep() {
        long now = context.now();
        List<PeerConnectionHandler> late = new ArrayList<>();
        for (PeerConnectionHandler c : connections.values()) {
            if (c.state() != PeerConnectionHandler.State.BOUND && now - c.sinceMillis() >= PeerConnections.TIMEOUT_MILLIS
                    && (c.state() == PeerConnectionHandler.State.CONNECTING || registry.withdraw(c.id(), c))) {
                late.add(c);
            }
        }
        for (PeerConnectionHandler c : late) {
            untrack(c);
            if (c.channel() != null) {
                c.channel().close();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        if (listener != null) {
            listener.close();
            registry.closed(localAddress.getPort());
        }
        for (PeerConnectionHandler c : new ArrayList<>(connections.values())) {
            if (c.channel() != null) {
                c.channel().close();
            }
        }
        // what a close above did not already forget (channels closing later find nothing left to count)
        context.stats().peerConnectionsActive.add(-connections.size());
        connections.clear();
    }
}
