package dev.turnbridge.relay.handler;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the relay did, cheap enough for the data path (striped adders, no locks). The metrics
 * module binds them to meters; tests read them directly.
 */
public final class RelayStats {
    public final LongAdder malformedDropped = new LongAdder();
    public final LongAdder bindingRequests = new LongAdder();
    public final LongAdder allocationsCreated = new LongAdder();
    public final LongAdder allocationsEnded = new LongAdder();
    public final LongAdder peersRefused = new LongAdder();
    public final LongAdder packetsToPeer = new LongAdder();
    public final LongAdder bytesToPeer = new LongAdder();
    public final LongAdder packetsToClient = new LongAdder();
    public final LongAdder bytesToClient = new LongAdder();
    public final LongAdder dataDropped = new LongAdder();
    public final LongAdder errorResponses = new LongAdder();
}
