package dev.turnbridge.config;

import java.time.Duration;

/**
 * The certificate of the TLS listeners.
 *
 * @param certFile       PEM file with the certificate chain, leaf first; empty (with {@code keyFile}) for a
 *                       self-signed development certificate generated at start
 * @param keyFile        PEM file with the private key (PKCS#1 or PKCS#8, RSA or EC, unencrypted)
 * @param reloadInterval how often the files' modification times are checked; a change (an ACME renewal) is
 *                       loaded for new connections without a restart. 0 turns the check off
 * @param acme           automatic certificates; exclusive with the files
 */
public record TlsSettings(String certFile, String keyFile, Duration reloadInterval, AcmeSettings acme) {

    /**
     * True when no files are configured: a self-signed certificate is served (with ACME, until the first
     * certificate is in hand).
     */
    public boolean selfSigned() {
        return certFile.isEmpty() && keyFile.isEmpty();
    }

    /** True when browsers will accept the certificate: configured files, or one from ACME (HSTS is sent then). */
    public boolean verifiable() {
        return !selfSigned() || acme.enabled();
    }
}
