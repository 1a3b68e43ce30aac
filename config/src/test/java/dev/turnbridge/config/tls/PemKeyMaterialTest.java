package dev.turnbridge.config.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PemKeyMaterialTest {
    @TempDir
    Path dir;

    private static String pem(Object... objects) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        }
        return out.toString();
    }

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static KeyPair keyPair(String algorithm) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
        g.initialize(algorithm.equals("RSA") ? 2048 : 256);
        return g.generateKeyPair();
    }

    private static X509Certificate certificate(KeyPair subject, String cn) throws Exception {
        X500Name name = new X500Name("CN=" + cn);
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(),
                Date.from(Instant.now().plusSeconds(3600)), name, subject.getPublic());
        String alg = subject.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(alg).build(subject.getPrivate())));
    }

    /** SEC1 with the curve inside, as openssl writes it (the JDK's own encoding leaves the curve outside). */
    private static PemObject sec1(KeyPair pair) {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
        try {
            ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
            ECPrivateKey withCurve = new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
            return new PemObject("EC PRIVATE KEY", withCurve.getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "RSA, pkcs1, RSA PRIVATE KEY",
        "RSA, pkcs8, BEGIN PRIVATE KEY",
        "EC,  sec1,  EC PRIVATE KEY",
        "EC,  pkcs8, BEGIN PRIVATE KEY",
    })
    void readsKeysInEveryCommonEncoding(String algorithm, String encoding, String marker) throws Exception {
        KeyPair pair = keyPair(algorithm);
        X509Certificate leaf = certificate(pair, "relay.example.org");
        X509Certificate intermediate = certificate(keyPair("EC"), "Example CA");
        String keyPem = switch (encoding) {
            case "pkcs8" -> pem(new JcaPKCS8Generator(pair.getPrivate(), null));
            case "sec1" -> pem(sec1(pair));
            default -> pem(pair); // an RSA KeyPair is written in its traditional form, PKCS#1
        };
        assertThat(keyPem).contains(marker);

        CertifiedKey ck = PemKeyMaterial.read(file("chain.pem", pem(leaf, intermediate)), file("key.pem", keyPem));

        assertThat(ck.chain()).containsExactly(leaf, intermediate);
        assertThat(ck.key().getAlgorithm()).isEqualTo(algorithm); // and read() checked it signs for the leaf
        assertThat(ck.toString()).contains("relay.example.org").doesNotContain(keyPem.lines().skip(1).findFirst().get());
    }

    @Test
    void refusesAKeyThatDoesNotBelongToTheCertificate() throws Exception {
        Path cert = file("cert.pem", pem(certificate(keyPair("EC"), "a")));
        Path key = file("key.pem", pem(sec1(keyPair("EC"))));

        assertThatThrownBy(() -> PemKeyMaterial.read(cert, key))
                .isInstanceOf(IOException.class).hasMessageContaining("does not belong");
    }

    @Test
    void refusesFilesWithoutTheExpectedBlocks() throws Exception {
        KeyPair pair = keyPair("EC");
        Path cert = file("cert.pem", pem(certificate(pair, "a")));
        Path key = file("key.pem", pem(sec1(pair)));
        Path garbage = file("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        Path empty = file("empty.pem", "");

        assertThatThrownBy(() -> PemKeyMaterial.read(key, key)).hasMessageContaining("no CERTIFICATE block");
        assertThatThrownBy(() -> PemKeyMaterial.read(cert, cert)).hasMessageContaining("no PRIVATE KEY block");
        assertThatThrownBy(() -> PemKeyMaterial.read(garbage, key)).hasMessageContaining("not a PEM certificate");
        assertThatThrownBy(() -> PemKeyMaterial.read(cert, empty)).hasMessageContaining("no PRIVATE KEY block");
    }

    @Test
    void selfSignedCertificateIsFreshEcdsaWithAFingerprint() throws Exception {
        CertifiedKey a = SelfSignedCertificate.generate("turnbridge");
        CertifiedKey b = SelfSignedCertificate.generate("turnbridge");

        assertThat(a.key().getAlgorithm()).isEqualTo("EC");
        assertThat(a.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=turnbridge");
        a.leaf().checkValidity();
        a.leaf().verify(a.leaf().getPublicKey());
        assertThat(a.fingerprintSha256()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}").isNotEqualTo(b.fingerprintSha256());
        // round trip through PEM, as an operator would save it
        CertifiedKey read = PemKeyMaterial.read(file("c.pem", pem(a.leaf())), file("k.pem", pem(new JcaPKCS8Generator(a.key(), null))));
        assertThat(read.fingerprintSha256()).isEqualTo(a.fingerprintSha256());
    }
}
