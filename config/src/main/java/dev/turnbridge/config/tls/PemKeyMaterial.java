package dev.turnbridge.config.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

/**
 * Reads a certificate chain and its private key from PEM files as ACME clients and openssl write them:
 * {@code CERTIFICATE} blocks (leaf first), and the key as PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}). Encrypted keys are refused. The key is checked
 * against the leaf by a test signature, so a renewal caught half-written never replaces a working pair.
 * Error messages name files and block types, never key material.
 */
public final class PemKeyMaterial {
    private PemKeyMaterial() {
    }

    public static CertifiedKey read(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = readChain(certFile);
        PrivateKey key = readKey(keyFile);
        if (!matches(key, chain.get(0))) {
            throw new IOException(keyFile + ": private key does not belong to the certificate in " + certFile);
        }
        return new CertifiedKey(key, chain);
    }

    static List<X509Certificate> readChain(Path file) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        } catch (GeneralSecurityException | PEMException | IllegalArgumentException | IllegalStateException e) {
            throw new IOException(file + ": not a PEM certificate chain (" + e.getClass().getSimpleName() + ")");
        }
        if (chain.isEmpty()) {
            throw new IOException(file + ": no CERTIFICATE block");
        }
        return chain;
    }

    static PrivateKey readKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof PEMKeyPair pair) {
                    return toJdk(pair.getPrivateKeyInfo(), file);
                }
                if (o instanceof PrivateKeyInfo info) {
                    return toJdk(info, file);
                }
                if (!(o instanceof X9ECParameters) && !(o instanceof ASN1ObjectIdentifier)
                        && !(o instanceof X509CertificateHolder)) {
                    // EC PARAMETERS precede SEC1 keys and certificates may share the file (combined PEM);
                    // anything else, such as an encrypted key, is refused
                    throw new IOException(file + ": unsupported PEM block " + o.getClass().getSimpleName()
                            + " (expected an unencrypted PKCS#1, SEC1 or PKCS#8 private key)");
                }
            }
        } catch (PEMException | IllegalArgumentException | IllegalStateException e) {
            throw new IOException(file + ": not a PEM private key (" + e.getClass().getSimpleName() + ")");
        }
        throw new IOException(file + ": no PRIVATE KEY block");
    }

    /**
     * Converts with the JDK's own key factories: Bouncy Castle's converter names EC keys "ECDSA", which only
     * its own provider knows, and this code does not install providers.
     */
    private static PrivateKey toJdk(PrivateKeyInfo info, Path file) throws IOException {
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String algorithm;
        if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
            algorithm = "RSA";
        } else if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
            algorithm = "EC";
        } else if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
            algorithm = "Ed25519";
        } else {
            throw new IOException(file + ": unsupported key algorithm " + oid + " (expected RSA, EC or Ed25519)");
        }
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": unreadable " + algorithm + " private key (" + e.getClass().getSimpleName()
                    + ")");
        }
    }

    private static boolean matches(PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] probe = "turnbridge key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
