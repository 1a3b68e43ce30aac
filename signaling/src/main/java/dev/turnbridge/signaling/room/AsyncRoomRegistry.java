package dev.turnbridge.signaling.room;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link RoomRegistry} for callers on an event loop: every operation answers later, so a registry that lives
 * elsewhere (Redis, shared by several nodes) never blocks a thread. A stage that completes exceptionally means
 * the registry could not be reached: the caller answers {@code unavailable}, never guesses.
 * {@link #of(RoomRegistry)} wraps the in-memory registry, whose stages are complete on return, so a caller
 * written against this interface behaves exactly as before with it.
 */
public interface AsyncRoomRegistry {

    /** As {@link RoomRegistry#create(int, Duration, Instant, String, Room.Visibility, int)}. */
    CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now, String creator,
                                         Room.Visibility visibility, int perCreator);

    /** The live room with this (normalized) code. */
    CompletionStage<Optional<Room>> find(String code);

    /** Takes a seat atomically (across nodes too) unless the room is missing, expired or full. */
    CompletionStage<JoinResult> join(String code, Member member, Instant now);

    /** Removes a member; false when it was not in the room. */
    CompletionStage<Boolean> leave(String code, String peerId);

    /** As {@link RoomRegistry#isRetired(String)}. */
    CompletionStage<Boolean> isRetired(String code);

    /** Ends a room now and returns it with the members it had. */
    CompletionStage<Optional<Room>> remove(String code);

    /** Live rooms. */
    CompletionStage<List<Room>> list();

    /** How many rooms are live at {@code now}, without reading them. */
    default CompletionStage<Integer> count(Instant now) {
        return list().thenApply(List::size);
    }

    /**
     * Removes the rooms whose expiry has passed and returns those it knows the members of. A shared registry
     * lets the rooms expire by themselves (Redis TTLs) and returns none: each node ends its own members' rooms
     * by their expiry time.
     */
    CompletionStage<List<Room>> removeExpired(Instant now);

    /**
     * Keeps what another node needs to resume member {@code peerId} (its node died): its room, a hash of its
     * resume secret and its delivery options, until {@code until}. A registry in this process keeps nothing.
     */
    CompletionStage<Void> saveSeat(String peerId, Seat seat, Instant until);

    /** The seat saved for {@code peerId}, if any. */
    CompletionStage<Optional<Seat>> seat(String peerId);

    /**
     * This node takes over member {@code peerId} of room {@code code} (it resumed here): its lease is renewed
     * by this node from now on. False when it is no longer a member (it left, or its lease lapsed).
     */
    CompletionStage<Boolean> claim(String code, String peerId, Instant now);

    /**
     * What resuming a member on another node takes.
     *
     * @param room       its room
     * @param secretHash base64url of SHA-256 of its resume token's secret (never the secret itself)
     * @param self       delivery options it joined with
     */
    record Seat(String room, String secretHash, boolean self, boolean ack, boolean seq) {
    }

    /**
     * How often a node renews its members' leases ({@link #renew}); zero: never (a registry in this process,
     * whose members live as long as it does).
     */
    Duration renewalInterval();

    /**
     * Renews the presence leases of this node's members {@code peerIds} of room {@code code}, and removes
     * members of other nodes whose lease lapsed (their node died).
     */
    CompletionStage<Renewal> renew(String code, Collection<String> peerIds, Instant now);

    /**
     * What a renewal found.
     *
     * @param gone   of the peer ids renewed, those no longer members (left on another node, or lapsed)
     * @param lapsed members of other nodes removed because their lease lapsed, for the leave diffs
     */
    record Renewal(List<String> gone, List<Member> lapsed) {
        public Renewal {
            gone = List.copyOf(gone);
            lapsed = List.copyOf(lapsed);
        }
    }

    /** The in-memory registry, answering at once; it has no leases (a member lives as long as this process). */
    static AsyncRoomRegistry of(RoomRegistry rooms) {
        return new AsyncRoomRegistry() {
            @Override
            public CompletionStage<CreateResult> create(int capacity, Duration ttl, Instant now, String creator,
                                                        Room.Visibility visibility, int perCreator) {
                return CompletableFuture.completedFuture(
                        rooms.create(capacity, ttl, now, creator, visibility, perCreator));
            }

            @Override
            public CompletionStage<Optional<Room>> find(String code) {
                return CompletableFuture.completedFuture(rooms.find(code));
            }

            @Override
            public CompletionStage<JoinResult> join(String code, Member member, Instant now) {
                return CompletableFuture.completedFuture(rooms.join(code, member, now));
            }

            @Override
            public CompletionStage<Boolean> leave(String code, String peerId) {
                return CompletableFuture.completedFuture(rooms.leave(code, peerId));
            }

            @Override
            public CompletionStage<Boolean> isRetired(String code) {
                return CompletableFuture.completedFuture(rooms.isRetired(code));
            }

            @Override
            public CompletionStage<Optional<Room>> remove(String code) {
                return CompletableFuture.completedFuture(rooms.remove(code));
            }

            @Override
            public CompletionStage<List<Room>> list() {
                return CompletableFuture.completedFuture(rooms.list());
            }

            @Override
            public CompletionStage<List<Room>> removeExpired(Instant now) {
                return CompletableFuture.completedFuture(rooms.removeExpired(now));
            }

            @Override
            public CompletionStage<Void> saveSeat(String peerId, Seat seat, Instant until) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Optional<Seat>> seat(String peerId) {
                return CompletableFuture.completedFuture(Optional.empty());
            }

            @Override
            public CompletionStage<Boolean> claim(String code, String peerId, Instant now) {
                return CompletableFuture.completedFuture(rooms.find(code).flatMap(r -> r.member(peerId)).isPresent());
            }

            @Override
            public Duration renewalInterval() {
                return Duration.ZERO;
            }

            @Override
            public CompletionStage<Renewal> renew(String code, Collection<String> peerIds, Instant now) {
                List<String> gone = rooms.find(code).map(room -> peerIds.stream()
                        .filter(id -> room.member(id).isEmpty()).toList()).orElse(List.copyOf(peerIds));
                return CompletableFuture.completedFuture(new Renewal(gone, List.of()));
            }
        };
    }
}
