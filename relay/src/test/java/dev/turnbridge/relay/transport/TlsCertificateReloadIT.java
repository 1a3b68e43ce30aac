package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.SelfSignedCertificate;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A renewed certificate (as an ACME client writes it) reaches new TLS connections without a restart. */
class TlsCertificateReloadIT {
    @TempDir
    Path dir;
    private NettyTransport transport;
    private RelayServer server;
    private int generation;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (transport != null) {
            transport.shutdown();
        }
    }

    /** Writes the files beside the targets and moves them in, each time with a later modification time. */
    private void install(CertifiedKey key, Path cert, Path keyFile) throws IOException {
        generation++;
        FileTime time = FileTime.from(Instant.now().plusSeconds(10L * generation));
        write(cert, pem(key.leaf()), time);
        write(keyFile, pem(new JcaPKCS8Generator(key.key(), null)), time);
    }

    private void write(Path target, String text, FileTime time) throws IOException {
        Path tmp = Files.writeString(dir.resolve(target.getFileName() + ".tmp"), text);
        Files.setLastModifiedTime(tmp, time);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }

    private String servedFingerprint(InetSocketAddress address) throws Exception {
        try (StreamTurnClient c = StreamTurnClient.tls(address, "u", "p", "TLSv1.3")) {
            Certificate leaf = ((SSLSocket) c.socket()).getSession().getPeerCertificates()[0];
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        }
    }

    private String awaitFingerprint(InetSocketAddress address, String expected) throws Exception {
        String served = servedFingerprint(address);
        for (int i = 0; i < 60 && !served.equals(expected); i++) {
            Thread.sleep(100);
            served = servedFingerprint(address);
        }
        return served;
    }

    @Test
    void newConnectionsGetTheRenewedCertificateAndABadRenewalIsIgnored() throws Exception {
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        CertifiedKey first = SelfSignedCertificate.generate("first");
        install(first, cert, key);
        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open",
                "listeners.udp=", "listeners.tcp=", "listeners.tls=127.0.0.1:0",
                "tls.cert-file=" + cert, "tls.key-file=" + key, "tls.reload-interval=1s", "auth.secrets=x"));
        transport = NettyTransport.create(1, "tls-reload-it", true);
        server = new RelayServer(settings, Clock.systemUTC(), transport);
        server.start();
        InetSocketAddress address = server.tlsAddresses().get(0);
        assertThat(servedFingerprint(address)).isEqualTo(first.fingerprintSha256());
        StreamTurnClient open = StreamTurnClient.tls(address, "u", "p", "TLSv1.3");

        CertifiedKey second = SelfSignedCertificate.generate("second");
        install(second, cert, key);

        assertThat(awaitFingerprint(address, second.fingerprintSha256())).isEqualTo(second.fingerprintSha256());
        assertThat(server.tlsFingerprint()).isEqualTo(second.fingerprintSha256());
        // the connection made before the renewal carries on
        assertThat(open.request(0x001, b -> { }).isSuccess()).isTrue();
        open.close();

        // a renewal caught half-way (key of another certificate) keeps the working one
        CertifiedKey third = SelfSignedCertificate.generate("third");
        generation++;
        FileTime later = FileTime.from(Instant.now().plusSeconds(10L * generation));
        assertThat(server.tlsReloadFailures()).as("good renewals fail nothing").isZero();
        write(cert, pem(third.leaf()), later);
        // the poll saw the half-way renewal and refused it (not merely: has not looked yet)
        for (int i = 0; i < 100 && server.tlsReloadFailures() == 0; i++) {
            Thread.sleep(100);
        }
        assertThat(server.tlsReloadFailures()).as("bad renewal refused").isPositive();
        assertThat(servedFingerprint(address)).isEqualTo(second.fingerprintSha256());

        write(key, pem(new JcaPKCS8Generator(third.key(), null)), FileTime.from(later.toInstant().plusSeconds(1)));
        assertThat(awaitFingerprint(address, third.fingerprintSha256())).isEqualTo(third.fingerprintSha256());
    }
}
