package dev.turnbridge.signaling.session;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shard's peers by id, by room and by their next timer. Finding a room's members here used to be a scan
 * of every peer, once per message from another node, per leave and per lapsed lease: at 10000 peers those
 * scans were what the Redis client's thread was seen running while replies waited; the timer sweep scanned
 * every peer four times a second (a quarter of the server's CPU samples at 10000 clients,
 * docs/bench-signaling.md) and now takes only those that are due. Guarded by its shard's lock; every change
 * is also made to the node's index of peers by id, which the shards share (a concurrent map).
 */
final class LocalPeers {

    private final Map<String, Peer> byId = new HashMap<>();
    private final Map<String, Set<Peer>> byRoom = new HashMap<>();
    /** One entry per peer that has a timer, soonest first. */
    private final TreeSet<Timer> timers = new TreeSet<>();
    private long timersFiled;
    private final Map<String, Peer> node;

    /** Peers of a node with one shard. */
    LocalPeers() {
        this(new ConcurrentHashMap<>());
    }

    /** @param node the node's peers by id, across its shards */
    LocalPeers(Map<String, Peer> node) {
        this.node = node;
    }

    Peer get(String id) {
        return byId.get(id);
    }

    boolean containsKey(String id) {
        return byId.containsKey(id);
    }

    /** Whether any shard of this node has a peer with this id. */
    boolean onThisNode(String id) {
        return node.containsKey(id);
    }

    void put(String id, Peer peer) {
        Peer old = byId.put(id, peer);
        node.put(id, peer);
        if (old != null) {
            unindex(old);
        }
        byRoom.computeIfAbsent(peer.room, r -> new LinkedHashSet<>()).add(peer);
    }

    Peer remove(String id) {
        Peer peer = byId.remove(id);
        if (peer != null) {
            node.remove(id, peer);
            unindex(peer);
        }
        return peer;
    }

    private void unindex(Peer peer) {
        if (peer.timer != null) {
            timers.remove(peer.timer);
            peer.timer = null;
        }
        Set<Peer> inRoom = byRoom.get(peer.room);
        if (inRoom != null && inRoom.remove(peer) && inRoom.isEmpty()) {
            byRoom.remove(peer.room);
        }
    }

    /** This node's peers in {@code room}, a view: copy it before changing peers while iterating. */
    Collection<Peer> inRoom(String room) {
        Set<Peer> inRoom = byRoom.get(room);
        return inRoom == null ? Set.of() : Collections.unmodifiableSet(inRoom);
    }

    /** The rooms this node has peers in. */
    Set<String> rooms() {
        return Collections.unmodifiableSet(byRoom.keySet());
    }

    boolean hasRoom(String room) {
        return byRoom.containsKey(room);
    }

    Collection<Peer> values() {
        return Collections.unmodifiableCollection(byId.values());
    }

    /** When {@code peer}'s next timer is due: {@code at}, or never (null). Peers not held here have none. */
    void schedule(Peer peer, Instant at) {
        if (peer.timer != null) {
            if (peer.timer.at().equals(at)) {
                return;
            }
            timers.remove(peer.timer);
            peer.timer = null;
        }
        if (at != null && byId.get(peer.id()) == peer) {
            peer.timer = new Timer(at, timersFiled++, peer);
            timers.add(peer.timer);
        }
    }

    /** The peers whose timer is due at {@code now}, soonest first; their timers are taken off. */
    List<Peer> due(Instant now) {
        List<Peer> due = new ArrayList<>();
        while (!timers.isEmpty() && !now.isBefore(timers.first().at())) {
            Peer peer = timers.pollFirst().peer();
            peer.timer = null;
            due.add(peer);
        }
        return due;
    }

    /** A peer's next timer; {@code filed} orders peers due at the same instant. */
    record Timer(Instant at, long filed, Peer peer) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = at.compareTo(o.at);
            return c != 0 ? c : Long.compare(filed, o.filed);
        }
    }

    int size() {
        return byId.size();
    }

    void clear() {
        byId.forEach((id, peer) -> {
            node.remove(id, peer);
            peer.timer = null;
        });
        timers.clear();
        byId.clear();
        byRoom.clear();
    }
}
