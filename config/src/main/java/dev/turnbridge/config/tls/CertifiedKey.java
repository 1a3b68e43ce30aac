package dev.turnbridge.config.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * A private key and its certificate chain, leaf first, as the JDK and Netty's {@code SslContextBuilder} take
 * them. {@link #toString} names the leaf and its fingerprint, never the key.
 */
public record CertifiedKey(PrivateKey key, List<X509Certificate> chain) {
    /** GeneralName tag of a dNSName in {@link X509Certificate#getSubjectAlternativeNames}. */
    private static final int DNS_NAME = 2;

    public CertifiedKey {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** SHA-256 of the leaf certificate, as colon-separated upper-case hex (what browsers and openssl show). */
    public String fingerprintSha256() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Base64 of the SHA-256 of the leaf's SubjectPublicKeyInfo: the pin that Chromium's
     * {@code --ignore-certificate-errors-spki-list} takes (and {@code openssl x509 -pubkey | openssl pkey -pubin
     * -outform der | openssl dgst -sha256 -binary | base64} prints).
     */
    public String spkiSha256Base64() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf().getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The leaf's subjectAltName DNS names, in certificate order (RFC 5280 §4.2.1.6); empty when it has none. */
    public List<String> dnsNames() {
        try {
            Collection<List<?>> names = leaf().getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            List<String> dns = new ArrayList<>();
            for (List<?> name : names) {
                if (name.size() >= 2 && Integer.valueOf(DNS_NAME).equals(name.get(0))
                        && name.get(1) instanceof String dnsName) {
                    dns.add(dnsName);
                }
            }
            return List.copyOf(dns);
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "CertifiedKey[" + leaf().getSubjectX500Principal().getName() + ", SHA-256 " + fingerprintSha256() + "]";
    }
}
