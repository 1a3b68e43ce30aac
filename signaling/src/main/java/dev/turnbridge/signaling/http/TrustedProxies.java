package dev.turnbridge.signaling.http;

import dev.turnbridge.config.Cidr;
import dev.turnbridge.config.IpLiteral;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The client address of a request that may have come through reverse proxies (settings
 * {@code signaling.trusted-proxies}). Only a peer inside a trusted range may speak for someone else; then the
 * client is the right-most hop of {@code Forwarded} (RFC 7239 §5.2 {@code for=}) or, without it, of
 * {@code X-Forwarded-For} that is not itself a trusted proxy: every hop to its left was written by a machine
 * we do not trust. A hop that is not an IP literal ({@code unknown}, an obfuscated identifier, garbage) ends
 * the walk at the last address a trusted proxy vouched for. Never resolves names.
 */
public final class TrustedProxies {

    private final List<Cidr> ranges;

    public TrustedProxies(List<String> cidrs) {
        List<Cidr> parsed = new ArrayList<>();
        for (String c : cidrs) {
            parsed.add(Cidr.parse(c));
        }
        this.ranges = List.copyOf(parsed);
    }

    public boolean trusts(InetAddress peer) {
        for (Cidr range : ranges) {
            if (range.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client behind {@code peer}.
     *
     * @param forwarded     every {@code Forwarded} header value, in order (may be empty)
     * @param xForwardedFor every {@code X-Forwarded-For} header value, in order (may be empty)
     */
    public InetAddress client(InetAddress peer, List<String> forwarded, List<String> xForwardedFor) {
        if (!trusts(peer)) {
            return peer;
        }
        List<String> hops = !forwarded.isEmpty() ? forwardedFor(forwarded) : split(xForwardedFor);
        InetAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = parseHop(hops.get(i));
            if (hop == null) {
                return client;
            }
            client = hop;
            if (!trusts(hop)) {
                return hop;
            }
        }
        return client;
    }

    private static List<String> split(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String value : values) {
            for (String part : value.split(",", -1)) {
                hops.add(part.trim());
            }
        }
        return hops;
    }

    /** The {@code for=} value of each forwarded-element (RFC 7239 §4); an element without one is a bad hop. */
    private static List<String> forwardedFor(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String element : split(values)) {
            String node = "";
            for (String pair : element.split(";", -1)) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
                    node = pair.substring(eq + 1).trim();
                }
            }
            hops.add(node);
        }
        return hops;
    }

    /**
     * An address from {@code 192.0.2.1}, {@code 192.0.2.1:4711}, {@code 2001:db8::1}, {@code [2001:db8::1]},
     * {@code "[2001:db8::1]:4711"}; null for anything else.
     */
    static InetAddress parseHop(String text) {
        String s = text;
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || !(close == s.length() - 1 || s.charAt(close + 1) == ':')) {
                return null;
            }
            s = s.substring(1, close);
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':') && s.indexOf('.') >= 0) {
            s = s.substring(0, s.indexOf(':')); // IPv4 with a port
        }
        try {
            return IpLiteral.address(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
