package dev.turnbridge.config.tls;

/**
 * What the TLS listeners serve, as an ACME client sees it: the certificate, replaced for new connections when a
 * new one is in hand, and the TLS-ALPN-01 challenge certificates (RFC 8737 §3) answered while an authorization
 * is pending. Keeps ACME code free of the listeners' TLS stack.
 */
public interface ServedCertificate {

    /** The certificate served now. */
    CertifiedKey current();

    /** Serves {@code key} to new connections from now on; connections already open keep theirs. */
    void install(CertifiedKey key);

    /**
     * Answers a TLS handshake that names {@code domain} in SNI and offers only ALPN {@code acme-tls/1} with
     * {@code challenge}, the self-signed certificate carrying the acmeIdentifier extension, until withdrawn.
     */
    void answerTlsAlpn01(String domain, CertifiedKey challenge);

    void withdrawTlsAlpn01(String domain);
}
