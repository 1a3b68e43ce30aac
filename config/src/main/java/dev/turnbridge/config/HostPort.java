package dev.turnbridge.config;

/**
 * A literal address and port as written in settings: {@code 0.0.0.0:3478}, {@code [::1]:3478}.
 * No name resolution happens here: hosts are IP literals or {@code localhost}.
 */
public record HostPort(String host, int port) {

    /** Parses {@code host:port} or {@code [v6]:port}; throws {@link IllegalArgumentException} with the reason. */
    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address");
        }
        String s = text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected host:port or [ipv6]:port");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port is not a number");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port out of 0-65535");
        }
        return new HostPort(host, p);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
