package dev.turnbridge.server.acme;

import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.PemKeyMaterial;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * {@code tls.acme.state-dir}: the ACME account key, the domain key and the certificate chain, so that a restart
 * serves the certificate it had and keeps its account. The directory is made 0700 and keys are written 0600,
 * each file beside its target and moved in, so a crash never leaves half a file. Keys are ECDSA P-256, stored as
 * a PKCS#8 {@code PRIVATE KEY} followed by its {@code PUBLIC KEY}. Nothing here logs key material.
 */
final class AcmeStateDir {
    static final String ACCOUNT_KEY = "account.key.pem";
    static final String DOMAIN_KEY = "domain.key.pem";
    static final String CHAIN = "fullchain.pem";
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> KEY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private final Path dir;

    AcmeStateDir(Path dir) {
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    /** Creates the directory if needed and makes it 0700 (it holds private keys). */
    void prepare() throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, DIR);
    }

    /** The account key, generated and stored on first use. */
    KeyPair accountKey() throws IOException {
        Path file = dir.resolve(ACCOUNT_KEY);
        if (Files.exists(file)) {
            return readKeyPair(file);
        }
        KeyPair pair = newKeyPair();
        write(file, pem(pair), KEY);
        return pair;
    }

    /** The stored certificate and its key, or empty when there is none yet (or the pair does not match). */
    Optional<CertifiedKey> certificate() throws IOException {
        Path chain = dir.resolve(CHAIN);
        Path key = dir.resolve(DOMAIN_KEY);
        if (!Files.exists(chain) || !Files.exists(key)) {
            return Optional.empty();
        }
        return Optional.of(PemKeyMaterial.read(chain, key));
    }

    /** Stores a newly issued certificate: the key first, so a crash between the two is caught as a mismatch. */
    void store(KeyPair domainKey, List<X509Certificate> chain) throws IOException {
        write(dir.resolve(DOMAIN_KEY), pem(domainKey), KEY);
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (X509Certificate c : chain) {
                w.writeObject(c);
            }
        }
        write(dir.resolve(CHAIN), out.toString(), PUBLIC);
    }

    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no ECDSA P-256 key generator", e);
        }
    }

    static String pem(KeyPair pair) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded()));
            w.writeObject(new PemObject("PUBLIC KEY", pair.getPublic().getEncoded()));
        }
        return out.toString();
    }

    static KeyPair readKeyPair(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        return parseKeyPair(new StringReader(text), file);
    }

    private static KeyPair parseKeyPair(Reader reader, Path file) throws IOException {
        PrivateKeyInfo privateInfo = null;
        SubjectPublicKeyInfo publicInfo = null;
        try (PEMParser pem = new PEMParser(reader)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    privateInfo = info;
                } else if (o instanceof SubjectPublicKeyInfo info) {
                    publicInfo = info;
                }
            }
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new IOException(file + ": not a PEM key pair (" + e.getClass().getSimpleName() + ")");
        }
        if (privateInfo == null || publicInfo == null) {
            throw new IOException(file + ": expected a PRIVATE KEY and a PUBLIC KEY block");
        }
        try {
            KeyFactory ec = KeyFactory.getInstance("EC");
            PrivateKey privateKey = ec.generatePrivate(new PKCS8EncodedKeySpec(privateInfo.getEncoded()));
            PublicKey publicKey = ec.generatePublic(new X509EncodedKeySpec(publicInfo.getEncoded()));
            return new KeyPair(publicKey, privateKey);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not an EC key pair (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Writes beside the target with the final permissions from the start, then moves it in. */
    private void write(Path target, String text, Set<PosixFilePermission> permissions) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.delete(tmp);
        } catch (NoSuchFileException e) {
            // nothing left over from an earlier crash
        }
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(permissions));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(tmp + ": created by someone else meanwhile");
        }
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
