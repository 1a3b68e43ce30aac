package dev.turnbridge.relay.transport;

import dev.turnbridge.relay.allocation.AllocationTable;
import io.netty.channel.EventLoop;

/**
 * Whatever holds an {@link AllocationTable}: a UDP server socket, or one TCP/TLS connection. The table may be
 * touched only on the owner's event loop, so operators' snapshots and endings run there as tasks.
 */
interface AllocationOwner {
    /** The event loop that owns the table; null before the channel is registered. */
    EventLoop eventLoop();

    AllocationTable allocations();
}
