package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import dev.turnbridge.relay.testing.TestSettings;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TurnMethodTest {

    @Test
    void everyServedMethodIsFoundByItsNumberAndCountedUnderItsTag() {
        for (TurnMethod m : TurnMethod.values()) {
            if (m == TurnMethod.OTHER) {
                continue;
            }
            assertThat(TurnMethod.of(m.number())).isSameAs(m);
            assertThat(RelayStats.METHODS.get(RelayStats.methodIndex(m.number()))).isEqualTo(m.tag());
        }
        assertThat(RelayStats.METHODS).containsExactly("binding", "allocate", "refresh", "create_permission",
                "channel_bind", "connect", "connection_bind", "other");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, StunMethod.SEND, StunMethod.DATA, StunMethod.CONNECTION_ATTEMPT, 0x0FFF, 0x1000})
    void methodsNotServedAreOther(int number) {
        assertThat(TurnMethod.of(number)).isSameAs(TurnMethod.OTHER);
        assertThat(RelayStats.METHODS.get(RelayStats.methodIndex(number))).isEqualTo("other");
    }

    @Test
    void everyAuthenticatedMethodHasAHandlerAndBindingAndOtherHaveNone() {
        RelayContext context = RelayContext.create(TestSettings.loopback(), new MutableClock(Instant.EPOCH));
        for (TurnMethod m : TurnMethod.values()) {
            boolean handled = m != TurnMethod.BINDING && m != TurnMethod.OTHER;
            assertThat(m.newHandler(context) != null).as(m.tag()).isEqualTo(handled);
        }
    }
}
