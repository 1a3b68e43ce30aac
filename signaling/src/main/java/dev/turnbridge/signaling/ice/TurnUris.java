package dev.turnbridge.signaling.ice;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which STUN/TURN URIs clients get. Configured URIs win (several relay nodes, hostnames); otherwise they are
 * derived from the relay's listeners, one URI per distinct port:
 * <pre>
 * stun:H:U   turn:H:U?transport=udp     UDP listeners
 * turn:H:T?transport=tcp                TCP listeners (RFC 8656 §3.1)
 * turns:N:S?transport=tcp               TLS listeners (RFC 7065 §3.1)
 * </pre>
 * H is the relay's external address, else the IP literal the client used to reach us, else 127.0.0.1. Only IP
 * literals are taken from the Host header: Chromium cannot resolve hostnames for UDP TURN in our test setup,
 * and a client-supplied name should not steer where other clients send media. N is the name clients check the
 * TLS certificate against: {@code signaling.turns-host}, else a DNS name of the configured certificate, else H
 * (the self-signed development certificate, which clients must be told to trust anyway).
 */
public final class TurnUris implements RelayUris {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    private final List<String> configured;
    private final String externalAddress;
    private final String turnsHost;
    private final RelayListeners listeners;

    /**
     * @param configured      {@code signaling.turn-uris}; empty to derive
     * @param externalAddress {@code relay.external-address}; empty when unset
     * @param turnsHost       {@code signaling.turns-host}; empty when unset
     * @param listeners       the relay's bound listener ports and its certificate's name
     */
    public TurnUris(List<String> configured, String externalAddress, String turnsHost, RelayListeners listeners) {
        this.configured = List.copyOf(configured);
        this.externalAddress = externalAddress == null ? "" : externalAddress.trim();
        this.turnsHost = turnsHost == null ? "" : turnsHost.trim();
        this.listeners = listeners;
    }

    /** Derives {@code stun:} and {@code turn:...?transport=udp} for one UDP port only. */
    public TurnUris(List<String> configured, String externalAddress, int relayPort) {
        this(configured, externalAddress, "", RelayListeners.udpOnly(relayPort));
    }

    /** From the settings: {@code signaling.turn-uris}, {@code relay.external-address}, {@code signaling.turns-host}. */
    public static TurnUris of(dev.turnbridge.config.Settings settings, RelayListeners listeners) {
        return new TurnUris(settings.signaling().turnUris(), settings.relay().externalAddress(),
                settings.signaling().turnsHost(), listeners);
    }

    @Override
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
            String tlsName = !turnsHost.isEmpty() ? uriHost(turnsHost)
                    : !listeners.certificateName().isEmpty() ? listeners.certificateName() : host;
            for (int port : listeners.udp()) {
                stun.add("stun:" + host + ":" + port);
                turn.add("turn:" + host + ":" + port + "?transport=udp");
            }
            for (int port : listeners.tcp()) {
                turn.add("turn:" + host + ":" + port + "?transport=tcp");
            }
            for (int port : listeners.tls()) {
                turn.add("turns:" + tlsName + ":" + port + "?transport=tcp");
            }
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
