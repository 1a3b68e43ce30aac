package dev.turnbridge.signaling.ice;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import java.util.List;
import java.util.Locale;

/**
 * What the relay listens on, as derived TURN URIs need it: the distinct ports of its UDP, TCP and TLS listeners
 * (the bound ones, so a listener configured with port 0 shows its real port), and the DNS name of the TLS
 * certificate clients can verify ({@code ""} for the self-signed development certificate). The composition root
 * builds it from the started relay.
 *
 * @param udp             distinct UDP listener ports, in listener order; empty when UDP is off
 * @param tcp             distinct TCP listener ports
 * @param tls             distinct TLS listener ports
 * @param certificateName a DNS name the TLS certificate covers, or {@code ""}
 */
public record RelayListeners(List<Integer> udp, List<Integer> tcp, List<Integer> tls, String certificateName) {

    public RelayListeners {
        udp = distinct(udp);
        tcp = distinct(tcp);
        tls = distinct(tls);
        certificateName = certificateName == null ? "" : certificateName;
    }

    /** One UDP port, nothing else: how signaling was configured before TCP and TLS listeners existed. */
    public static RelayListeners udpOnly(int port) {
        return new RelayListeners(List.of(port), List.of(), List.of(), "");
    }

    /** The configured ports (port 0 stays 0): for a signaling server run without a relay, in tests. */
    public static RelayListeners configured(Settings settings) {
        return new RelayListeners(ports(settings.listeners().udp()), ports(settings.listeners().tcp()),
                ports(settings.listeners().tls()), "");
    }

    /**
     * The first name in {@code dnsNames} a client can connect to: wildcards ({@code *.example.org}) are skipped,
     * and so is {@code localhost}, which names the client's own machine rather than the relay.
     */
    public static String connectableName(List<String> dnsNames) {
        for (String name : dnsNames) {
            String n = name.trim();
            if (!n.isEmpty() && !n.contains("*") && !n.toLowerCase(Locale.ROOT).equals("localhost")) {
                return n;
            }
        }
        return "";
    }

    private static List<Integer> ports(List<HostPort> listeners) {
        return listeners.stream().map(HostPort::port).toList();
    }

    private static List<Integer> distinct(List<Integer> ports) {
        return ports.stream().distinct().toList();
    }
}
