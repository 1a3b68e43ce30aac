package dev.turnbridge.relay.handler;

import dev.turnbridge.config.LifetimeSettings;

/** The allocation lifetime rule of RFC 8656 §7.2 step 8 and §8 (Refresh). */
final class Lifetimes {
    private Lifetimes() {
    }

    /**
     * The lifetime to grant: the requested value clamped to the maximum, but never below the default; the
     * default when no LIFETIME was sent. Zero is handled by the caller (Refresh deletes).
     */
    static long grantSeconds(long requested, LifetimeSettings settings) {
        long dflt = settings.allocationDefault().getSeconds();
        long max = settings.allocationMax().getSeconds();
        if (requested < 0) {
            return dflt;
        }
        return Math.max(dflt, Math.min(requested, max));
    }
}
