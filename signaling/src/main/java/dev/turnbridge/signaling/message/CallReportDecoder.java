package dev.turnbridge.signaling.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code call_report}: one call's ICE outcome as the browser saw it. Every field is checked against a closed
 * set or a range here, so nothing a client writes reaches a metric unvalidated.
 */
final class CallReportDecoder {

    /** ICE candidate types (RFC 8445 §5.1.1) and the TURN transports (RFC 8656) a relayed pair can use. */
    static final Set<String> CANDIDATE_TYPES = Set.of("host", "srflx", "prflx", "relay");
    static final Set<String> RELAY_PROTOCOLS = Set.of("udp", "tcp", "tls");
    /** Both sides' ICE ufrags (ice-char, 4..256 each, RFC 8839 §5.4) joined: the same value on both sides. */
    private static final Pattern CALL_ID = Pattern.compile("[A-Za-z0-9+/:]{1,520}");
    /** Longer than any ICE attempt a browser makes before it says failed. */
    static final long MAX_CONNECT_MILLIS = 600_000;

    private CallReportDecoder() {
    }

    static Decoded decode(JsonNode root, JsonNode ref) {
        String call = MessageDecoder.text(root, "call");
        if (call == null || !CALL_ID.matcher(call).matches()) {
            return MessageDecoder.bad("call must be 1..520 characters of ICE ufrags and ':'", ref);
        }
        String with = MessageDecoder.text(root, "with");
        if (with == null || with.isEmpty() || with.length() > 64) {
            return MessageDecoder.bad("with must be a peer id", ref);
        }
        String outcome = MessageDecoder.text(root, "outcome");
        if (!"connected".equals(outcome) && !"failed".equals(outcome)) {
            return MessageDecoder.bad("outcome must be connected or failed", ref);
        }
        JsonNode restart = root.get("iceRestart");
        if (restart != null && !restart.isBoolean()) {
            return MessageDecoder.bad("iceRestart must be a boolean", ref);
        }
        boolean iceRestart = restart != null && restart.booleanValue();
        if (outcome.equals("failed")) {
            return MessageDecoder.ok(new ClientMessage.CallReport(ref, call, with, false, 0, null, null, null,
                    iceRestart));
        }
        JsonNode ms = root.get("connectMs");
        if (ms == null || !ms.isIntegralNumber() || !ms.canConvertToLong() || ms.longValue() < 0
                || ms.longValue() > MAX_CONNECT_MILLIS) {
            return MessageDecoder.bad("connectMs must be an integer 0.." + MAX_CONNECT_MILLIS, ref);
        }
        String local = MessageDecoder.text(root, "local");
        String remote = MessageDecoder.text(root, "remote");
        if (local == null || remote == null || !CANDIDATE_TYPES.contains(local) || !CANDIDATE_TYPES.contains(remote)) {
            return MessageDecoder.bad("local and remote must be host, srflx, prflx or relay", ref);
        }
        String protocol = MessageDecoder.text(root, "relayProtocol");
        if (local.equals("relay") != (protocol != null)) {
            return MessageDecoder.bad("relayProtocol is given exactly when local is relay", ref);
        }
        if (protocol != null && !RELAY_PROTOCOLS.contains(protocol)) {
            return MessageDecoder.bad("relayProtocol must be udp, tcp or tls", ref);
        }
        return MessageDecoder.ok(new ClientMessage.CallReport(ref, call, with, true, ms.longValue(), local, remote,
                protocol, iceRestart));
    }
}
