package dev.turnbridge.relay.stun;

import java.net.InetSocketAddress;

/**
 * ice4j's first use loads Kotlin and its configuration (about half a second). Running one encode/decode
 * round at start keeps that pause off the first client's Allocate.
 */
public final class StunWarmup {
    private StunWarmup() {
    }

    public static void run() {
        byte[] request = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, new byte[12])
                .xorPeerAddress(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9))
                .lifetime(600)
                .realm("warmup")
                .encode("warmup", new byte[16]);
        try {
            StunMessage m = StunDecoder.decode(request, request.length);
            m.lifetime();
            m.realm();
        } catch (StunParseException e) {
            throw new IllegalStateException("STUN codec self-test failed: " + e.getMessage(), e);
        }
    }
}
