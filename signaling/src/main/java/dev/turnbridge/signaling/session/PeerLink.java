package dev.turnbridge.signaling.session;

/**
 * The way out to one client connection, as the hub sees it. The WebSocket handler implements it; tests use
 * a recording fake. Both methods are safe to call from any thread and keep the order of calls.
 */
public interface PeerLink {

    /** Queues one text message. */
    void send(String text);

    /** Closes the connection with a WebSocket close code and reason. */
    void close(int code, String reason);
}
