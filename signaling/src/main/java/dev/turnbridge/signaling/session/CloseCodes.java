package dev.turnbridge.signaling.session;

/** WebSocket close codes the server uses (4000-4999 are application codes, RFC 6455 §7.4.2). */
public final class CloseCodes {
    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    /** No room joined within the idle timeout. */
    public static final int IDLE = 4000;
    /** No message within the heartbeat timeout. */
    public static final int HEARTBEAT_TIMEOUT = 4001;
    /** Another connection resumed this peer. */
    public static final int REPLACED = 4002;
    /** The server is draining before a restart: reconnect (and resume) later, possibly elsewhere. */
    public static final int DRAINING = 4003;
    /**
     * The peer left more unacknowledged messages than its outbox keeps: exactly-once delivery cannot go on, the
     * peer is removed (the others see a leave) and the client joins again as a new peer.
     */
    public static final int BEHIND = 4004;
    /** The client stopped reading: its socket's outbound queue passed the limit. */
    public static final int SLOW_READER = 4005;
    /**
     * Sent by the client when its page is hidden (a reload or a closed tab, which it cannot tell apart): the
     * seat is kept for {@code SignalingHub.reloadGrace} so a reload takes it over, then the others see the leave.
     */
    public static final int PAGE_HIDDEN = 4010;

    private CloseCodes() {
    }
}
