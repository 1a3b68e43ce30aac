package dev.turnbridge.config;

import java.time.Duration;

/**
 * Lifetimes from RFC 8656 and RFC 8489.
 *
 * @param allocationDefault lifetime given when the client asks for less or nothing (RFC 8656 §7.2: 600 s)
 * @param allocationMax     upper clamp for a requested LIFETIME (3600 s)
 * @param permission        permission lifetime (RFC 8656 §9: 300 s, not configurable by clients)
 * @param channel           channel binding lifetime (RFC 8656 §12: 600 s)
 * @param nonce             how long a NONCE stays valid before 438 Stale Nonce
 */
public record LifetimeSettings(
        Duration allocationDefault,
        Duration allocationMax,
        Duration permission,
        Duration channel,
        Duration nonce) {
}
