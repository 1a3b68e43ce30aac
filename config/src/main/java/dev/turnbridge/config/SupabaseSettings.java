package dev.turnbridge.config;

import java.util.List;

/**
 * The Supabase Realtime front-end ({@code /realtime/v1/websocket}, Phoenix channels), so that code written
 * against {@code @supabase/supabase-js} runs unchanged against our rooms. YAML section {@code signaling.supabase:}.
 * The socket's rate and message size are the signaling ones ({@code message-rate}, {@code max-message-size}).
 *
 * @param anonKeys             the keys accepted as {@code apikey} (the project's anon key the app ships); empty
 *                             switches the endpoint off (404). They are public by design: who may join what is
 *                             decided by the user's JWT ({@code access_token}) and the access mode
 * @param implicitRooms        a topic naming no existing room creates one on first join (default capacity and TTL);
 *                             false: such a join is refused
 * @param maxChannelsPerSocket channels (topics) one socket may have joined at once
 * @param maxPresenceSize      largest presence payload ({@code track}) in bytes, as JSON
 */
public record SupabaseSettings(
        List<Secret> anonKeys,
        boolean implicitRooms,
        int maxChannelsPerSocket,
        int maxPresenceSize) {

    public SupabaseSettings {
        anonKeys = List.copyOf(anonKeys);
    }

    /** True when the endpoint is served. */
    public boolean enabled() {
        return !anonKeys.isEmpty();
    }

    /** The documented defaults. */
    public static SupabaseSettings defaults() {
        return new SupabaseSettings(List.of(), false, 10, 2048);
    }
}
