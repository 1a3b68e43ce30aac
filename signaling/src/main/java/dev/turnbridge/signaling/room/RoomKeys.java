package dev.turnbridge.signaling.room;

/**
 * The Redis keys of one room, all under its hash tag {@code {CODE}} so that they share one cluster slot and one
 * Lua script may use them together.
 */
record RoomKeys(String room, String members, String leases, String code, String received, String inboxes) {

    static RoomKeys of(String prefix, String code) {
        String tag = "{" + code + "}";
        return new RoomKeys(prefix + "room:" + tag, prefix + "members:" + tag, prefix + "leases:" + tag,
                prefix + "code:" + tag, prefix + "received:" + tag, prefix + "inboxes:" + tag);
    }
}
