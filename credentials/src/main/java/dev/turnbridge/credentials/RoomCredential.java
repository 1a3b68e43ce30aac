package dev.turnbridge.credentials;

/**
 * Who a REST username names. Signaling issues {@code <expiry>:<room>:<member>} to room members, so the relay
 * can count quotas per member, room and user and revoke a room's or a member's credentials; any other REST
 * username is {@code <expiry>:<id>} and is counted by its id, without the expiry. Either way, a fresh
 * credential for the same holder (only the expiry differs) counts as the same holder.
 *
 * @param expiry unix seconds after which the credential is refused, or -1 for a static user
 * @param id     the username without its expiry: the quota key of a plain REST id or static user
 * @param room   the room code, or null when the username names no room
 * @param member the member's peer id within {@code room}, or null
 */
public record RoomCredential(long expiry, String id, String room, String member) {

    /** The holder named by {@code username}; static users and malformed REST usernames are their own id. */
    public static RoomCredential of(String username) {
        long expiry = RestCredentials.expiryOf(username);
        if (expiry < 0) {
            return new RoomCredential(-1, username, null, null);
        }
        int first = username.indexOf(':');
        if (first < 0) {
            return new RoomCredential(expiry, username, null, null); // digits only, as coturn accepts
        }
        String id = username.substring(first + 1);
        int second = id.indexOf(':');
        if (second <= 0 || second == id.length() - 1 || id.indexOf(':', second + 1) >= 0) {
            return new RoomCredential(expiry, id, null, null);
        }
        return new RoomCredential(expiry, id, id.substring(0, second), id.substring(second + 1));
    }

    public boolean inRoom() {
        return room != null;
    }

    /** {@code <room>:<member>}: the member's quota and revocation key, or null outside rooms. */
    public String memberKey() {
        return room == null ? null : room + ":" + member;
    }
}
