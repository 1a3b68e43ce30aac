package dev.turnbridge.config.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class CertifiedKeyTest {

    @Test
    void selfSignedCertificateNamesLocalhostOnly() {
        assertThat(SelfSignedCertificate.generate("turnbridge").dnsNames()).containsExactly("localhost");
    }

    @Test
    void dnsNamesInCertificateOrderWithoutIpAddresses() throws Exception {
        CertifiedKey key = issue(new GeneralName(GeneralName.dNSName, "*.example.org"),
                new GeneralName(GeneralName.iPAddress, "203.0.113.7"),
                new GeneralName(GeneralName.dNSName, "turn.example.org"));

        assertThat(key.dnsNames()).containsExactly("*.example.org", "turn.example.org");
    }

    @Test
    void noSubjectAltNameMeansNoDnsNames() throws Exception {
        assertThat(issue().dnsNames()).isEmpty();
    }

    /** The pin is over the SubjectPublicKeyInfo as the certificate encodes it, read here with Bouncy Castle. */
    @Test
    void spkiPinIsTheSha256OfTheCertificatesSubjectPublicKeyInfo() throws Exception {
        CertifiedKey key = SelfSignedCertificate.generate("turnbridge");
        byte[] spki = TBSCertificate.getInstance(key.leaf().getTBSCertificate()).getSubjectPublicKeyInfo().getEncoded();

        assertThat(key.spkiSha256Base64()).isEqualTo(
                Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki)));
        assertThat(Base64.getDecoder().decode(key.spkiSha256Base64())).hasSize(32);
    }

    private static CertifiedKey issue(GeneralName... altNames) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=turn.example.org");
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(),
                Date.from(Instant.now().plusSeconds(3600)), name, pair.getPublic());
        if (altNames.length > 0) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
        }
        X509Certificate certificate = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        return new CertifiedKey(pair.getPrivate(), List.of(certificate));
    }
}
