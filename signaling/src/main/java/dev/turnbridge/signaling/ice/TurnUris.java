package dev.turnbridge.signaling.ice;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which STUN/TURN URIs clients get. Configured URIs win (several relay nodes, hostnames, TLS); otherwise
 * {@code stun:H:P} and {@code turn:H:P?transport=udp} point at this server's relay, with H the relay's
 * external address, else the IP literal the client used to reach us, else 127.0.0.1. Only IP literals are
 * taken from the Host header: Chromium cannot resolve hostnames for UDP TURN in our test setup, and a
 * client-supplied name should not steer where other clients send media.
 */
public final class TurnUris {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    private final List<String> configured;
    private final String externalAddress;
    private final int relayPort;

    /**
     * @param configured      {@code signaling.turn-uris}; empty to derive
     * @param externalAddress {@code relay.external-address}; empty when unset
     * @param relayPort       the relay's UDP port (the bound one, when the settings said 0)
     */
    public TurnUris(List<String> configured, String externalAddress, int relayPort) {
        this.configured = List.copyOf(configured);
        this.externalAddress = externalAddress == null ? "" : externalAddress.trim();
        this.relayPort = relayPort;
    }

    /** STUN URIs then TURN URIs, as two lists: {@code [stun, turn]}. */
    public List<List<String>> forHost(String hostHeader) {
        List<String> stun = new ArrayList<>();
        List<String> turn = new ArrayList<>();
        if (!configured.isEmpty()) {
            for (String uri : configured) {
                String lower = uri.toLowerCase(Locale.ROOT);
                if (lower.startsWith("stun:") || lower.startsWith("stuns:")) {
                    stun.add(uri);
                } else {
                    turn.add(uri);
                }
            }
        } else {
            String host = uriHost(!externalAddress.isEmpty() ? externalAddress : ipLiteralOf(hostHeader));
            stun.add("stun:" + host + ":" + relayPort);
            turn.add("turn:" + host + ":" + relayPort + "?transport=udp");
        }
        return List.of(List.copyOf(stun), List.copyOf(turn));
    }

    /** The host part of a Host header when it is an IP literal (v4, or bracketed v6), else 127.0.0.1. */
    static String ipLiteralOf(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return "127.0.0.1";
        }
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            String v6 = close > 1 ? h.substring(1, close) : "";
            return v6.indexOf(':') >= 0 && IPV6.matcher(v6).matches() ? v6 : "127.0.0.1";
        }
        int colon = h.indexOf(':');
        String host = colon >= 0 ? h.substring(0, colon) : h;
        return IPV4.matcher(host).matches() && !host.equals("0.0.0.0") ? host : "127.0.0.1";
    }

    private static String uriHost(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
