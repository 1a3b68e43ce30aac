package dev.turnbridge.signaling.ice;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.signaling.message.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * An {@code iceServers} list ready for {@code new RTCPeerConnection({iceServers})}: STUN URIs without
 * credentials, TURN URIs with one REST credential, and when that credential stops working.
 */
public record IceServers(List<String> stunUris, List<String> turnUris, String username, String credential,
                         Duration ttl, Instant expiresAt) {

    public IceServers {
        stunUris = List.copyOf(stunUris);
        turnUris = List.copyOf(turnUris);
    }

    /** {@code [{urls:[stun...]}, {urls:[turn...], username, credential}]}, leaving out an empty group. */
    public ArrayNode toJson() {
        ArrayNode servers = Json.MAPPER.createArrayNode();
        if (!stunUris.isEmpty()) {
            ObjectNode stun = servers.addObject();
            stunUris.forEach(stun.putArray("urls")::add);
        }
        if (!turnUris.isEmpty()) {
            ObjectNode turn = servers.addObject();
            turnUris.forEach(turn.putArray("urls")::add);
            turn.put("username", username);
            turn.put("credential", credential);
        }
        return servers;
    }

    /** {@code {iceServers, ttl, expiresAt}}: the body of the ice-servers endpoint and the credentials push. */
    public ObjectNode toEnvelope(ObjectNode target) {
        target.set("iceServers", toJson());
        target.put("ttl", ttl.toSeconds());
        target.put("expiresAt", expiresAt.toString());
        return target;
    }

    @Override
    public String toString() {
        return "IceServers[stun=" + stunUris + ", turn=" + turnUris + ", username=" + username
                + ", credential=<redacted>, expiresAt=" + expiresAt + "]";
    }
}
