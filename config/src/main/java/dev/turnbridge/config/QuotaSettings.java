package dev.turnbridge.config;

/**
 * Limits that keep one user or one allocation from taking the server.
 *
 * @param allocationsPerUser     live allocations one username may hold (486 beyond)
 * @param allocationsTotal       live allocations on this server (486 beyond)
 * @param permissionsPerAllocation distinct peer IPs one allocation may permit (508 beyond)
 * @param channelsPerAllocation  channels one allocation may bind (508 beyond)
 * @param connectionsPerAllocation peer TCP connections one TCP allocation (RFC 6062) may hold per relayed
 *                               address (a dual allocation has two), bound or
 *                               pending (Connect: 508 beyond; incoming ones are refused)
 */
public record QuotaSettings(
        int allocationsPerUser,
        int allocationsTotal,
        int permissionsPerAllocation,
        int channelsPerAllocation,
        int connectionsPerAllocation) {
}
