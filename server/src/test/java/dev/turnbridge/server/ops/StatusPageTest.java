package dev.turnbridge.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusPageTest {

    private static StatusPage.Status status(String accessWarning) {
        return new StatusPage.Status(null, false, List.of(), 0, 100, 0, 0, new Throughput.Rates(0, 0, 0, 0), true, 0,
                List.of(), List.of(), SignalingOps.CallFigures.NONE, Instant.parse("2026-01-01T00:00:00Z"),
                accessWarning);
    }

    @Test
    void showsTheOpenAccessWarningOnlyWhenThereIsOne() {
        String warning = "signaling.access is open on [0.0.0.0:8080]: anyone <b>";

        assertThat(StatusPage.html(status(warning))).contains("Warning:</strong> signaling.access is open on "
                + "[0.0.0.0:8080]: anyone &lt;b&gt;");
        assertThat(StatusPage.json(new ObjectMapper(), status(warning)).get("accessWarning").asText())
                .isEqualTo(warning);
        assertThat(StatusPage.html(status(null))).doesNotContain("Warning:");
        assertThat(StatusPage.json(new ObjectMapper(), status(null)).has("accessWarning")).isFalse();
    }
}
