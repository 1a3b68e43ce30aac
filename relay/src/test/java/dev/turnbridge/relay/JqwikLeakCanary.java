package dev.turnbridge.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link LeakCanary} for the jqwik engine: one property that leaks a buffer on its first try; the leak guard
 * must fail this class.
 */
class JqwikLeakCanary {
    private boolean leaked;

    @Property(tries = 3)
    boolean leaksOneBuffer(@ForAll int value) {
        if (!leaked) {
            leaked = true;
            ByteBuf lost = ByteBufAllocator.DEFAULT.directBuffer(64).writeInt(value);
            return lost.refCnt() == 1; // never released
        }
        return true;
    }
}
