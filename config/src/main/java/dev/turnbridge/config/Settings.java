package dev.turnbridge.config;

/**
 * The whole, validated configuration of one server process. Immutable; built once at start by
 * {@link SettingsLoader} (embedded defaults, then YAML file, then environment, then flags) and checked by
 * {@link SettingsValidator}. Relay and signaling read their sections and never re-read the sources.
 *
 * @param realm     the long-term credential realm (RFC 8489 §9.2) announced in 401 responses
 * @param software  value of the SOFTWARE attribute; empty means the attribute is not sent
 * @param listeners where clients reach the relay
 * @param tls       certificate of the TLS listeners
 * @param auth      secrets and optional static users
 * @param relay     relayed-transport-address allocation
 * @param lifetimes allocation, permission, channel and nonce lifetimes
 * @param quotas    per-user and global limits
 * @param peers     which peer addresses the relay may talk to
 * @param amplification limits on what unauthenticated UDP requests are answered with
 * @param signaling HTTP/WebSocket signaling beside the relay
 * @param redis     the Redis that {@code signaling.registry: redis} shares rooms through
 * @param metrics   the operations listener: metrics, health, status page
 * @param admin     the admin API on the operations listener
 * @param drain     graceful drain on SIGTERM or admin call
 * @param logging   log format and level
 */
public record Settings(
        String realm,
        String software,
        ListenerSettings listeners,
        TlsSettings tls,
        AuthSettings auth,
        RelaySettings relay,
        LifetimeSettings lifetimes,
        QuotaSettings quotas,
        PeerPolicySettings peers,
        AmplificationSettings amplification,
        SignalingSettings signaling,
        RedisSettings redis,
        MetricsSettings metrics,
        AdminSettings admin,
        DrainSettings drain,
        LoggingSettings logging) {
}
