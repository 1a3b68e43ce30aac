package dev.turnbridge.config;

/**
 * The operations listener: Prometheus {@code /metrics}, {@code /healthz}, {@code /readyz}, the status page and,
 * when {@link AdminSettings#token()} is set, the admin API.
 *
 * @param enabled false to serve none of it
 * @param listen  where the listener binds; loopback by default (coturn's prometheus port, 9641)
 * @param token   bearer token required on {@code /metrics} and the status page; empty for none. Health checks
 *                never need it.
 */
public record MetricsSettings(boolean enabled, HostPort listen, Secret token) {
}
