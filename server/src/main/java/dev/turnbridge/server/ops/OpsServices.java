package dev.turnbridge.server.ops;

import dev.turnbridge.relay.transport.RelayServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.Supplier;

/**
 * What the operations listener serves from, handed over by the composition root.
 *
 * @param registry   the Prometheus registry {@code /metrics} scrapes
 * @param relay      allocations to list and end
 * @param signaling  rooms to list and close
 * @param throughput recent relay rates for the status page
 * @param notReady   why the server is not ready (listeners not bound yet, draining), or null when it is
 * @param drain      starts a graceful drain; idempotent
 * @param certificate the TLS certificate served, or null without TLS listeners
 */
public record OpsServices(
        PrometheusMeterRegistry registry,
        RelayServer relay,
        SignalingOps signaling,
        Throughput throughput,
        Supplier<String> notReady,
        Runnable drain,
        Supplier<CertificateStatus> certificate) {
}
