package dev.turnbridge.config;

import java.net.URI;
import java.util.List;

/**
 * Automatic certificates from an ACME CA (RFC 8555). YAML section {@code tls.acme:}. Off while {@code domains}
 * is empty; then {@code tls.cert-file}/{@code tls.key-file} (or the self-signed development certificate) apply.
 *
 * @param domains      DNS names the certificate covers, the first one its subject; each must resolve to this
 *                     host, since the CA validates them by connecting to it (no IPs, no wildcards: those need
 *                     DNS-01, which is not offered)
 * @param email        contact for the CA's expiry and incident mails; empty: none
 * @param directory    the CA's directory URL, or {@code letsencrypt} / {@code letsencrypt-staging}
 * @param stateDir     where the account key, the domain key and the certificate chain are kept (made 0700, keys
 *                     written 0600); it must survive restarts, or every start orders a new certificate
 * @param caFile       PEM certificates trusted for the CA's own HTTPS besides the JDK's roots, for a test CA
 *                     (Pebble); empty: the JDK's roots only
 * @param httpListen   plain-HTTP listeners (e.g. {@code 0.0.0.0:80}) that answer HTTP-01 challenges (RFC 8555
 *                     §8.3) and redirect everything else to https; empty: TLS-ALPN-01 on the TLS port only
 * @param redirectPort the https port that {@code httpListen} redirects to
 */
public record AcmeSettings(
        List<String> domains,
        String email,
        String directory,
        String stateDir,
        String caFile,
        List<HostPort> httpListen,
        int redirectPort) {

    public static final String LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
    public static final String LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

    public AcmeSettings {
        domains = List.copyOf(domains);
        httpListen = List.copyOf(httpListen);
    }

    public boolean enabled() {
        return !domains.isEmpty();
    }

    /** The directory URL, with the Let's Encrypt shorthands resolved. */
    public URI directoryUri() {
        return URI.create(switch (directory) {
            case "letsencrypt" -> LETSENCRYPT;
            case "letsencrypt-staging" -> LETSENCRYPT_STAGING;
            default -> directory;
        });
    }

    /** The documented defaults: off. */
    public static AcmeSettings defaults() {
        return new AcmeSettings(List.of(), "", "letsencrypt", "/var/lib/turnbridge/acme", "", List.of(), 443);
    }
}
