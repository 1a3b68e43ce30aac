package dev.turnbridge.signaling.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser Origins may open the WebSocket and call the HTTP API. Requests without an Origin (servers,
 * curl) are not browser cross-origin requests and pass. An empty allow-list means same-origin only: the
 * Origin's host:port must equal the Host header, so a page served by this server works out of the box.
 */
public final class OriginPolicy {

    private final boolean any;
    private final Set<String> allowed;

    public OriginPolicy(List<String> allowedOrigins) {
        this.any = allowedOrigins.contains("*");
        this.allowed = allowedOrigins.stream().map(OriginPolicy::canonical).collect(Collectors.toUnmodifiableSet());
    }

    /** @param origin the Origin header or null; @param host the Host header or null */
    public boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        if (any) {
            return true;
        }
        if (!allowed.isEmpty()) {
            return allowed.contains(canonical(origin));
        }
        String authority = authorityOf(origin);
        return authority != null && host != null && authority.equalsIgnoreCase(host.trim());
    }

    /** {@code scheme://host[:port]} lower-cased, without a trailing slash. */
    private static String canonical(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** host[:port] of an Origin, or null for "null" and garbage. */
    private static String authorityOf(String origin) {
        try {
            URI uri = new URI(origin.trim());
            return uri.getScheme() == null ? null : uri.getRawAuthority();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
