package dev.turnbridge.config;

/**
 * The admin API on the metrics listener ({@code /admin/...}): list rooms and allocations, close a room, end
 * allocations, start a drain.
 *
 * @param token bearer token every admin request must carry; empty disables the admin API
 */
public record AdminSettings(Secret token) {
}
