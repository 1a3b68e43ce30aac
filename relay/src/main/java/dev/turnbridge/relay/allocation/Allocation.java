package dev.turnbridge.relay.allocation;

import io.netty.util.collection.IntObjectHashMap;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One TURN allocation (RFC 8656 §2.2, §7): the 5-tuple it belongs to, the credentials that created it, its
 * relayed transport address, lifetime, permissions and channel bindings. All state is confined to the event
 * loop that owns the client's 5-tuple, so nothing here is synchronized.
 */
public final class Allocation {
    private final FiveTuple fiveTuple;
    private final String username;
    private final byte[] integrityKey;
    private final byte[] transactionId;
    private final List<RelayedAddress> relayed;
    private final RelaySocket relaySocket;
    private final RelaySocket relaySocketV6;
    private final Map<InetAddress, Permission> permissions = new HashMap<>();
    private final IntObjectHashMap<ChannelBinding> channelsByNumber = new IntObjectHashMap<>(4);
    private final Map<InetSocketAddress, ChannelBinding> channelsByPeer = new HashMap<>();
    private final AllocationListener listener;
    private final long createdAtMillis;
    private final AllocationQuota.Claim claim;
    private final RoomShare room;
    private long expiresAtMillis;
    private long bytesToPeer;
    private long bytesToClient;

    public Allocation(FiveTuple fiveTuple, String username, byte[] integrityKey, byte[] transactionId,
            RelaySocket relaySocket, InetSocketAddress relayedAddress, long expiresAtMillis) {
        this(fiveTuple, username, integrityKey, transactionId, relaySocket, relayedAddress, 0, expiresAtMillis,
                AllocationListener.NONE);
    }

    /**
     * @param listener told of permission and channel changes (the table tells it of creation and end)
     */
    public Allocation(FiveTuple fiveTuple, String username, byte[] integrityKey, byte[] transactionId,
            RelaySocket relaySocket, InetSocketAddress relayedAddress, long createdAtMillis, long expiresAtMillis,
            AllocationListener listener) {
        this(fiveTuple, username, integrityKey, transactionId, List.of(new RelayedAddress(relaySocket, relayedAddress)),
                createdAtMillis, expiresAtMillis, listener);
    }

    /**
     * @param relayed  one relayed address, or two of different families for a dual allocation
     *                 (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.2); the first is the requested family
     * @param listener told of permission and channel changes (the table tells it of creation and end)
     */
    public Allocation(FiveTuple fiveTuple, String username, byte[] integrityKey, byte[] transactionId,
            List<RelayedAddress> relayed, long createdAtMillis, long expiresAtMillis, AllocationListener listener) {
        this(fiveTuple, username, integrityKey, transactionId, relayed, createdAtMillis, expiresAtMillis, listener,
                new AllocationQuota.Claim(username, null, null, null), null);
    }

    /**
     * @param claim what the allocation holds against the quotas, given back when it ends
     * @param room  the share of the room its credential names (budget, addresses), or null outside rooms
     */
    public Allocation(FiveTuple fiveTuple, String username, byte[] integrityKey, byte[] transactionId,
            List<RelayedAddress> relayed, long createdAtMillis, long expiresAtMillis, AllocationListener listener,
            AllocationQuota.Claim claim, RoomShare room) {
        this.claim = claim;
        this.room = room;
        if (relayed.isEmpty() || relayed.size() > 2
                || (relayed.size() == 2 && relayed.get(0).isIpv4() == relayed.get(1).isIpv4())) {
            throw new IllegalArgumentException("one relayed address, or two of different families");
        }
        this.listener = listener;
        this.createdAtMillis = createdAtMillis;
        this.fiveTuple = fiveTuple;
        this.username = username;
        this.integrityKey = integrityKey;
        this.transactionId = transactionId;
        this.relayed = List.copyOf(relayed);
        RelaySocket v4 = null;
        RelaySocket v6 = null;
        for (RelayedAddress r : relayed) {
            if (r.isIpv4()) {
                v4 = r.socket();
            } else {
                v6 = r.socket();
            }
        }
        this.relaySocket = v4;
        this.relaySocketV6 = v6;
        this.expiresAtMillis = expiresAtMillis;
    }

    public FiveTuple fiveTuple() {
        return fiveTuple;
    }

    public String username() {
        return username;
    }

    /** What this allocation holds against the quotas. */
    public AllocationQuota.Claim claim() {
        return claim;
    }

    /** The share of the room this allocation's credential names, or null outside rooms. */
    public RoomShare room() {
        return room;
    }

    /** The long-term key that authenticated the Allocate; responses on this allocation are signed with it. */
    public byte[] integrityKey() {
        return integrityKey;
    }

    /** Transaction ID of the Allocate that created this allocation (retransmissions get the same answer). */
    public byte[] transactionId() {
        return transactionId;
    }

    /** The relay socket of the first (requested) family. */
    public RelaySocket relaySocket() {
        return relayed.get(0).socket();
    }

    /** The relayed transport address of the first (requested) family, advertised in XOR-RELAYED-ADDRESS. */
    public InetSocketAddress relayedAddress() {
        return relayed.get(0).advertised();
    }

    /** Every relayed address: one, or two of different families for a dual allocation. */
    public List<RelayedAddress> relayedAddresses() {
        return relayed;
    }

    /**
     * The relay socket that talks to peers of {@code peer}'s family, or null when this allocation has no
     * relayed address of that family (RFC 8656 §9.1: 443 Peer Address Family Mismatch).
     */
    public RelaySocket relaySocketFor(InetAddress peer) {
        return peer instanceof Inet4Address ? relaySocket : relaySocketV6;
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    public void refresh(long expiresAtMillis) {
        this.expiresAtMillis = expiresAtMillis;
    }

    public boolean isLive(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    /**
     * Installs or refreshes the permission for {@code peer} (RFC 8656 §9). Returns false, changing nothing,
     * when that would exceed {@code maxPermissions}.
     */
    public boolean installPermission(InetAddress peer, long expiresAtMillis, int maxPermissions) {
        Permission p = permissions.get(peer);
        if (p != null) {
            p.refresh(expiresAtMillis);
            return true;
        }
        if (permissions.size() >= maxPermissions) {
            return false;
        }
        permissions.put(peer, new Permission(peer, expiresAtMillis));
        listener.permissionsChanged(1);
        return true;
    }

    /** Whether a live permission exists for the peer's IP address. */
    public boolean permits(InetAddress peer, long nowMillis) {
        Permission p = permissions.get(peer);
        return p != null && p.isLive(nowMillis);
    }

    /** Whether a permission entry exists for the peer, live or not yet swept. */
    public boolean hasPermission(InetAddress peer) {
        return permissions.containsKey(peer);
    }

    public int permissionCount() {
        return permissions.size();
    }

    /** Checks ChannelBind's rebinding rules (RFC 8656 §11.2) without changing anything. */
    public BindCheck checkBind(int number, InetSocketAddress peer, long nowMillis, int maxChannels) {
        ChannelBinding byNumber = channelsByNumber.get(number);
        ChannelBinding byPeer = channelsByPeer.get(peer);
        if (byNumber != null && !byNumber.peer().equals(peer) && !byNumber.isQuarantineOver(nowMillis)) {
            return BindCheck.NUMBER_BOUND_TO_OTHER_PEER;
        }
        if (byPeer != null && byPeer.number() != number && !byPeer.isQuarantineOver(nowMillis)) {
            return BindCheck.PEER_BOUND_TO_OTHER_NUMBER;
        }
        if (byNumber == null && channelsByNumber.size() >= maxChannels) {
            return BindCheck.QUOTA;
        }
        return BindCheck.OK;
    }

    /** Binds or refreshes {@code number <-> peer}; call after {@link #checkBind} said OK. */
    public void bindChannel(int number, InetSocketAddress peer, long expiresAtMillis) {
        ChannelBinding existing = channelsByNumber.get(number);
        if (existing != null && existing.peer().equals(peer)) {
            existing.refresh(expiresAtMillis);
            return;
        }
        int delta = 1;
        if (existing != null) {
            channelsByPeer.remove(existing.peer());
            delta--;
        }
        ChannelBinding stale = channelsByPeer.get(peer);
        if (stale != null) {
            channelsByNumber.remove(stale.number());
            delta--;
        }
        ChannelBinding binding = new ChannelBinding(number, peer, expiresAtMillis);
        channelsByNumber.put(number, binding);
        channelsByPeer.put(peer, binding);
        if (delta != 0) {
            listener.channelsChanged(delta);
        }
    }

    /** The live binding for a channel number, or null. */
    public ChannelBinding channel(int number, long nowMillis) {
        ChannelBinding b = channelsByNumber.get(number);
        return b != null && b.isLive(nowMillis) ? b : null;
    }

    /** The live binding for a peer transport address, or null. */
    public ChannelBinding channelFor(InetSocketAddress peer, long nowMillis) {
        ChannelBinding b = channelsByPeer.get(peer);
        return b != null && b.isLive(nowMillis) ? b : null;
    }

    /** Live channel bindings (quarantined ones excluded). */
    public int channelCount(long nowMillis) {
        int n = 0;
        for (ChannelBinding b : channelsByNumber.values()) {
            if (b.isLive(nowMillis)) {
                n++;
            }
        }
        return n;
    }

    /** Channel binding entries, quarantined ones included (what {@link AllocationListener} counts). */
    public int channelEntries() {
        return channelsByNumber.size();
    }

    public long createdAtMillis() {
        return createdAtMillis;
    }

    /** Counts payload relayed from the client towards a peer (event loop only). */
    public void countToPeer(int bytes) {
        bytesToPeer += bytes;
    }

    /** Counts payload relayed from a peer towards the client (event loop only). */
    public void countToClient(int bytes) {
        bytesToClient += bytes;
    }

    /** An operator's view of this allocation; call on its event loop. */
    public AllocationInfo info() {
        return new AllocationInfo(username, fiveTuple.transport(), fiveTuple.client(), fiveTuple.server(),
                relayedAddress(), createdAtMillis, expiresAtMillis, permissions.size(), channelsByNumber.size(),
                bytesToPeer, bytesToClient);
    }

    /** Drops expired permissions and channel bindings whose quarantine is over. */
    public void expire(long nowMillis) {
        int before = permissions.size();
        permissions.values().removeIf(p -> !p.isLive(nowMillis));
        if (permissions.size() != before) {
            listener.permissionsChanged(permissions.size() - before);
        }
        int dropped = 0;
        Iterator<ChannelBinding> it = channelsByNumber.values().iterator();
        while (it.hasNext()) {
            ChannelBinding b = it.next();
            if (b.isQuarantineOver(nowMillis)) {
                it.remove();
                channelsByPeer.remove(b.peer());
                dropped++;
            }
        }
        if (dropped != 0) {
            listener.channelsChanged(-dropped);
        }
    }

    /** Outcome of the ChannelBind rules. */
    public enum BindCheck { OK, NUMBER_BOUND_TO_OTHER_PEER, PEER_BOUND_TO_OTHER_NUMBER, QUOTA }
}
