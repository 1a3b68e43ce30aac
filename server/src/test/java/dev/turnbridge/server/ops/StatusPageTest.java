package dev.turnbridge.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusPageTest {

    private static StatusPage.Status status(String accessWarning) {
        return status(accessWarning, null);
    }

    private static StatusPage.Status status(String accessWarning, CertificateStatus certificate) {
        return new StatusPage.Status(null, false, List.of(), 0, 100, 0, 0, new Throughput.Rates(0, 0, 0, 0), true, 0,
                List.of(), List.of(), SignalingOps.CallFigures.NONE, Instant.parse("2026-01-01T00:00:00Z"),
                accessWarning, certificate);
    }

    @Test
    void showsTheCertificatesNamesExpiryAndTheLastAcmeProblem() {
        CertificateStatus cert = new CertificateStatus(List.of("turn.example.org", "relay.example.org"),
                Instant.parse("2026-01-11T00:00:00Z"), "ACME (letsencrypt)", "Network error: <refused>");

        String html = StatusPage.html(status(null, cert));
        assertThat(html).contains("<h2>TLS certificate</h2>").contains("turn.example.org, relay.example.org")
                .contains("<td class=bad>2026-01-11T00:00:00Z (10 days)").contains("ACME (letsencrypt)")
                .contains("last ACME order failed: Network error: &lt;refused&gt;");
        var json = StatusPage.json(new ObjectMapper(), status(null, cert)).get("certificate");
        assertThat(json.get("names").get(1).asText()).isEqualTo("relay.example.org");
        assertThat(json.get("notAfter").asText()).isEqualTo("2026-01-11T00:00:00Z");
        assertThat(json.get("problem").asText()).isEqualTo("Network error: <refused>");
        assertThat(StatusPage.html(status(null))).doesNotContain("TLS certificate");
        assertThat(StatusPage.json(new ObjectMapper(), status(null)).has("certificate")).isFalse();
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
