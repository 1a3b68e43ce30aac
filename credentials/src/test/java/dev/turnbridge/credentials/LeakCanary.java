package dev.turnbridge.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Leaks one buffer on purpose; the leak guard must fail this class. Run only by the build's leak-canary
 * execution (the name matches none of the normal includes), whose result LeakCanaryCheck verifies.
 */
@DisplayName("LeakCanary: leaks one buffer on purpose, the leak guard must fail this class (expected)")
class LeakCanary {
    @Test
    void leaksOneBuffer() {
        ByteBuf lost = ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42);
        assertThat(lost.refCnt()).isEqualTo(1); // never released
    }
}
