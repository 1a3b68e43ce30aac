package dev.turnbridge.relay.transport;

import dev.turnbridge.config.tls.CertifiedKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * The TLS listeners' certificate and key as Bouncy Castle's DTLS server takes them, converted once per
 * certificate (a reload brings a new {@link CertifiedKey}, hence new credentials for later handshakes).
 *
 * @param from   the key material these were made from
 * @param chain  the chain, leaf first, as BC's {@link Certificate}
 * @param key    the private key as a BC lightweight key
 * @param ecdsa  true for an EC key (ECDHE_ECDSA suites), false for RSA (ECDHE_RSA suites)
 */
record DtlsCredentials(CertifiedKey from, Certificate chain, AsymmetricKeyParameter key, boolean ecdsa) {

    static DtlsCredentials of(CertifiedKey certifiedKey, BcTlsCrypto crypto) {
        try {
            TlsCertificate[] certificates = new TlsCertificate[certifiedKey.chain().size()];
            for (int i = 0; i < certificates.length; i++) {
                X509Certificate c = certifiedKey.chain().get(i);
                certificates[i] = crypto.createCertificate(c.getEncoded());
            }
            AsymmetricKeyParameter key = PrivateKeyFactory.createKey(certifiedKey.key().getEncoded());
            if (!(key instanceof ECPrivateKeyParameters) && !(key instanceof RSAKeyParameters)) {
                throw new IllegalStateException("DTLS needs an RSA or EC key, not " + certifiedKey.key().getAlgorithm());
            }
            return new DtlsCredentials(certifiedKey, new Certificate(certificates), key,
                    key instanceof ECPrivateKeyParameters);
        } catch (IOException e) {
            throw new UncheckedIOException("DTLS certificate: " + e.getMessage(), e);
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("DTLS certificate: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DtlsCredentials[" + from + "]"; // never the key
    }
}
