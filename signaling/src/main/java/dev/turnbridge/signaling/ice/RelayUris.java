package dev.turnbridge.signaling.ice;

import java.util.List;

/** Which STUN and TURN URIs a member's {@code iceServers} name. */
public interface RelayUris {

    /** STUN URIs then TURN URIs, as two lists: {@code [stun, turn]}, for a client that reached us as {@code hostHeader}. */
    List<List<String>> forHost(String hostHeader);
}
