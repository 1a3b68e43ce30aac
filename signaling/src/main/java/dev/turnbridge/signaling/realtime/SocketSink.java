package dev.turnbridge.signaling.realtime;

import dev.turnbridge.signaling.session.PeerLink;

/**
 * The way out to one Realtime WebSocket: ordered text sends and a close (as {@link PeerLink}), plus tasks run in
 * order with them on the socket's own thread (the hub calls its links under its lock; what a channel must do
 * in return, such as leaving the hub, runs later through here).
 */
public interface SocketSink extends PeerLink {

    void execute(Runnable task);
}
