package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.Json;

/** An answer of the Realtime REST endpoints before it meets Netty: a status and a JSON body. */
public record RestAnswer(int status, ObjectNode body) {

    /** Supabase's API gateway answers a wrong {@code apikey} with this status and body. */
    public static final RestAnswer INVALID_API_KEY = message(401, RealtimeGateway.INVALID_API_KEY);

    public static RestAnswer message(int status, String message) {
        ObjectNode body = Json.object();
        body.put("message", message);
        return new RestAnswer(status, body);
    }

    /** Realtime's own errors carry {@code error}, which supabase-js shows. */
    public static RestAnswer error(int status, String error) {
        ObjectNode body = Json.object();
        body.put("error", error);
        return new RestAnswer(status, body);
    }
}
