package dev.turnbridge.config;

/**
 * Limits that keep one user, member, room, address or allocation from taking the server. Allocation quotas
 * count who holds a credential, never the whole REST username: a fresh credential (a new expiry) for the same
 * id, member or user counts against the same quota.
 *
 * @param allocationsPerUser     live allocations one user may hold: a REST id without its expiry, a static
 *                               user, or a room member's user id (486 beyond)
 * @param allocationsPerMember   live allocations one room member ({@code <room>:<peer>}) may hold (486 beyond)
 * @param allocationsPerRoom     live allocations all members of one room may hold together (486 beyond)
 * @param allocationsPerAddress  live allocations one client IP address may hold, whoever signs (486 beyond)
 * @param allocationsTotal       live allocations on this server (486 beyond)
 * @param permissionsPerAllocation distinct peer IPs one allocation may permit (508 beyond)
 * @param channelsPerAllocation  channels one allocation may bind (508 beyond)
 * @param connectionsPerAllocation peer TCP connections one TCP allocation (RFC 6062) may hold per relayed
 *                               address (a dual allocation has two), bound or
 *                               pending (Connect: 508 beyond; incoming ones are refused)
 * @param roomBandwidth          bytes per second one room may relay over UDP, both ways and every member
 *                               together; datagrams beyond are dropped and counted. 0: no limit
 * @param roomBurst              bytes a room may relay at once above {@code roomBandwidth}
 */
public record QuotaSettings(
        int allocationsPerUser,
        int allocationsTotal,
        int permissionsPerAllocation,
        int channelsPerAllocation,
        int connectionsPerAllocation,
        int allocationsPerMember,
        int allocationsPerRoom,
        int allocationsPerAddress,
        int roomBandwidth,
        int roomBurst) {
}
