package dev.turnbridge.server.ops;

import java.time.Instant;
import java.util.List;

/**
 * The TLS certificate served, for the status page: its DNS names, expiry, where it came from and, with ACME,
 * why the last order failed (null when it did not).
 */
public record CertificateStatus(List<String> names, Instant notAfter, String source, String problem) {
    public CertificateStatus {
        names = List.copyOf(names);
    }
}
