package dev.turnbridge.server.ops;

/**
 * Signaling issues TURN REST credentials to room members as {@code <expiry>:<room>:<peer id>}, so an
 * allocation's room can be read from its username. Other usernames (static users, credentials minted by other
 * services) belong to no room.
 */
final class RoomUsernames {
    private RoomUsernames() {
    }

    /** The room code in a signaling-issued username, or null. */
    static String room(String username) {
        int first = username.indexOf(':');
        if (first < 0) {
            return null;
        }
        int second = username.indexOf(':', first + 1);
        if (second < 0) {
            return null;
        }
        for (int i = 0; i < first; i++) {
            if (!Character.isDigit(username.charAt(i))) {
                return null;
            }
        }
        return username.substring(first + 1, second);
    }
}
