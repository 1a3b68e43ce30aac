package dev.turnbridge.config;

/**
 * Limits that keep one user or one allocation from taking the server.
 *
 * @param allocationsPerUser     live allocations one username may hold (486 beyond)
 * @param allocationsTotal       live allocations on this server (486 beyond)
 * @param permissionsPerAllocation distinct peer IPs one allocation may permit (508 beyond)
 * @param channelsPerAllocation  channels one allocation may bind (508 beyond)
 */
public record QuotaSettings(
        int allocationsPerUser,
        int allocationsTotal,
        int permissionsPerAllocation,
        int channelsPerAllocation) {
}
