package dev.turnbridge.relay.allocation;

/**
 * Lifecycle events of allocations and of the permissions and channel bindings inside them (RFC 8656 §7-§12):
 * the hook metrics hang off. Called on the event loop that owns the allocation, so implementations must be
 * cheap and thread-safe (striped counters), and must not keep the allocation.
 */
public interface AllocationListener {
    AllocationListener NONE = new AllocationListener() {
    };

    /** A successful Allocate installed {@code allocation}. */
    default void created(Allocation allocation) {
    }

    /** A Refresh with a non-zero lifetime extended it. */
    default void refreshed(Allocation allocation) {
    }

    /** It left its table; its permissions and channels went with it. */
    default void ended(Allocation allocation, EndReason reason) {
    }

    /** Permissions were installed (positive) or dropped (negative); refreshes are not changes. */
    default void permissionsChanged(int delta) {
    }

    /** Channel bindings were added (positive) or dropped after their quarantine (negative). */
    default void channelsChanged(int delta) {
    }

    /** Why an allocation ended. */
    enum EndReason {
        /** Its lifetime ran out without a Refresh (RFC 8656 §7). */
        EXPIRED,
        /** The client sent Refresh with LIFETIME 0 (RFC 8656 §8). */
        DELETED,
        /** An operator ended it through the admin API. */
        ADMIN,
        /** Its server socket closed (shutdown, or the drain deadline passed). */
        SHUTDOWN,
        /** The client's TCP or TLS connection, its 5-tuple, closed (RFC 8656 §3.1). */
        CONNECTION_CLOSED,
        /** Its room ended, or its member left or was kicked: the credential's relay rights were revoked. */
        REVOKED;

        private final String tag = name().toLowerCase(java.util.Locale.ROOT);

        /** Lower-case name for metric tags and logs. */
        public String tag() {
            return tag;
        }
    }
}
