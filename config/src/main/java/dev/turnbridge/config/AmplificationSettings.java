package dev.turnbridge.config;

/**
 * What keeps the relay from being an amplifier for spoofed UDP requests. A request that does not authenticate
 * (a Binding, or anything answered with 400, 401, 420 or 438 before MESSAGE-INTEGRITY was verified) costs the
 * sender nothing but may name a victim as its source address; the answers to such requests are limited per
 * source IP (an IPv6 source by its /64). Beyond the limit they are dropped silently and counted. TCP and TLS
 * are not limited: their handshake proves the source address.
 *
 * @param binding              whether STUN Binding requests are answered at all; off, they are dropped (a
 *                             relay-only deployment whose clients use {@code turn:} URIs never sends them)
 * @param unauthenticatedRate  unauthenticated responses per second one source IP may receive; 0 switches the
 *                             limit off
 * @param unauthenticatedBurst how many such responses a source may receive at once before the rate applies
 */
public record AmplificationSettings(boolean binding, double unauthenticatedRate, int unauthenticatedBurst) {
}
