package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.LifetimeSettings;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LifetimesTest {
    private static final LifetimeSettings SETTINGS = new LifetimeSettings(Duration.ofSeconds(600),
            Duration.ofSeconds(3600), Duration.ofSeconds(300), Duration.ofSeconds(600), Duration.ofSeconds(3600));

    @ParameterizedTest(name = "requested {0} -> {1}")
    @CsvSource({
        "-1,         600", // no LIFETIME attribute: default
        "0,          600", // zero is Refresh's delete, handled by the caller
        "1,          600", // below the default: default
        "599,        600",
        "600,        600",
        "601,        601", // in between: as requested
        "1800,       1800",
        "3599,       3599",
        "3600,       3600",
        "3601,       3600", // above the maximum: maximum
        "86400,      3600",
        "4294967295, 3600", // LIFETIME is an unsigned 32-bit value
    })
    void grantSeconds(long requested, long granted) {
        assertThat(Lifetimes.grantSeconds(requested, SETTINGS)).isEqualTo(granted);
    }

    @ParameterizedTest(name = "requested {0} -> {1} when default equals max")
    @CsvSource({"-1, 600", "1, 600", "600, 600", "601, 600"})
    void defaultEqualToMaximum(long requested, long granted) {
        LifetimeSettings fixed = new LifetimeSettings(Duration.ofSeconds(600), Duration.ofSeconds(600),
                Duration.ofSeconds(300), Duration.ofSeconds(600), Duration.ofSeconds(3600));
        assertThat(Lifetimes.grantSeconds(requested, fixed)).isEqualTo(granted);
    }
}
