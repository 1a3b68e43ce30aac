package dev.turnbridge.relay.transport;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.RejectedExecutionHandlers;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * Event loops that go back to their sockets after at most {@link #TASK_QUANTUM_MILLIS} of queued tasks.
 *
 * <p>Netty 4.2's loops run queued tasks for up to a second (at least 100 ms by system property) before
 * reading again, as long as there are more. Other threads feed a loop without pause here: a busy room's
 * fan-out writes to a member's socket from the sender's loop. Under CPU load a member's own reads (its
 * acknowledgements) then waited behind the messages written to it until it passed its bound of
 * unacknowledged messages and was cut off (SignalingDeliveryIT, 1 run in 20 with three busy loops beside it).
 */
public final class IoFirstEventLoopGroup extends MultiThreadIoEventLoopGroup {

    /** Longest run of queued tasks between two I/O passes (Netty looks at the clock every 64 tasks). */
    public static final long TASK_QUANTUM_MILLIS = 2;

    public IoFirstEventLoopGroup(int threads, ThreadFactory threadFactory, IoHandlerFactory io) {
        super(threads, threadFactory, io);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory io, Object... args) {
        return new SingleThreadIoEventLoop(this, executor, io, Integer.MAX_VALUE, RejectedExecutionHandlers.reject(),
                TASK_QUANTUM_MILLIS);
    }
}
