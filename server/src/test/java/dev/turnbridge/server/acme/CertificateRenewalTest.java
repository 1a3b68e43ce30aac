package dev.turnbridge.server.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.ServedCertificate;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When renewal happens and how failures back off, with a fixed clock, a scripted CA and an executor that only
 * records what was scheduled (each check is run by the test).
 */
class CertificateRenewalTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static final List<String> DOMAINS = List.of("turn.example.org");

    private final Recording executor = new Recording();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Served served = new Served();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /** Records delays instead of running anything. */
    private static final class Recording extends ScheduledThreadPoolExecutor {
        final List<Duration> delays = new ArrayList<>();

        Recording() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            delays.add(Duration.ofMillis(unit.toMillis(delay)));
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }
    }

    private static final class Served implements ServedCertificate {
        final List<CertifiedKey> installed = new ArrayList<>();

        @Override
        public CertifiedKey current() {
            return installed.isEmpty() ? null : installed.get(installed.size() - 1);
        }

        @Override
        public void install(CertifiedKey key) {
            installed.add(key);
        }

        @Override
        public void answerTlsAlpn01(String domain, CertifiedKey challenge) {
        }

        @Override
        public void withdrawTlsAlpn01(String domain) {
        }
    }

    /** Answers each order with the next scripted result: a certificate, or null for a refusal. */
    private static final class ScriptedCa implements CertificateOrder {
        final Deque<CertifiedKey> results = new ArrayDeque<>();
        int orders;

        @Override
        public CertifiedKey order(X509Certificate replacing) throws AcmeFailure {
            orders++;
            CertifiedKey next = results.isEmpty() ? null : results.poll();
            if (next == null) {
                throw new AcmeFailure("Network error: Connection refused");
            }
            return next;
        }
    }

    static CertifiedKey certificate(String name, Instant notBefore, Instant notAfter) throws Exception {
        KeyPair key = AcmeStateDir.newKeyPair();
        X500Name subject = new X500Name("CN=" + name);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE,
                Date.from(notBefore), Date.from(notAfter), subject, key.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, name)));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        return new CertifiedKey(key.getPrivate(), List.of(cert));
    }

    private CertificateRenewal renewal(ScriptedCa ca, CertifiedKey stored) {
        return new CertificateRenewal(DOMAINS, served, ca, stored, executor, Clock.fixed(NOW, ZoneOffset.UTC),
                registry, Duration.ofHours(12), Duration.ofMinutes(1), Duration.ofHours(6));
    }

    private double orders(String outcome) {
        return registry.get("turnbridge.acme.orders").tag("outcome", outcome).counter().count();
    }

    @Test
    void renewsAtAThirdOfTheLifetimeAndAtMostThirtyDaysAhead() throws Exception {
        Instant start = NOW.minus(Duration.ofDays(10));
        // 90 days: 30 days ahead; 9 days: 3 days ahead; 1 year: still 30 days ahead
        assertThat(CertificateRenewal.renewAt(certificate("a", start, start.plus(Duration.ofDays(90)))))
                .isEqualTo(start.plus(Duration.ofDays(60)));
        assertThat(CertificateRenewal.renewAt(certificate("a", start, start.plus(Duration.ofDays(9)))))
                .isEqualTo(start.plus(Duration.ofDays(6)));
        assertThat(CertificateRenewal.renewAt(certificate("a", start, start.plus(Duration.ofDays(365)))))
                .isEqualTo(start.plus(Duration.ofDays(335)));
    }

    @Test
    void aStoredCertificateNotYetDueIsServedAndOnlyCheckedAgain() throws Exception {
        CertifiedKey stored = certificate("turn.example.org", NOW.minus(Duration.ofDays(10)),
                NOW.plus(Duration.ofDays(80)));
        ScriptedCa ca = new ScriptedCa();
        CertificateRenewal renewal = renewal(ca, stored);

        renewal.check();

        assertThat(served.installed).containsExactly(stored);
        assertThat(ca.orders).isZero();
        assertThat(executor.delays).containsExactly(Duration.ofHours(12));
        assertThat(registry.get("turnbridge.acme.certificate.expiry").gauge().value())
                .isEqualTo(Duration.ofDays(80).toSeconds());
    }

    @Test
    void aStoredCertificateForOtherNamesIsNotServed() throws Exception {
        CertifiedKey other = certificate("old.example.org", NOW, NOW.plus(Duration.ofDays(80)));
        ScriptedCa ca = new ScriptedCa();
        CertificateRenewal renewal = renewal(ca, other);
        CertifiedKey fresh = certificate("turn.example.org", NOW, NOW.plus(Duration.ofDays(90)));
        ca.results.add(fresh);

        renewal.check();

        assertThat(served.installed).containsExactly(fresh);
        assertThat(orders("issued")).isEqualTo(1);
    }

    @Test
    void failuresBackOffDoublingUpToTheBoundAndKeepTheWorkingCertificate() throws Exception {
        CertifiedKey expiring = certificate("turn.example.org", NOW.minus(Duration.ofDays(89)),
                NOW.plus(Duration.ofDays(1)));
        ScriptedCa ca = new ScriptedCa();
        CertificateRenewal renewal = renewal(ca, expiring);

        for (int i = 0; i < 12; i++) {
            renewal.check();
        }

        assertThat(executor.delays).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(2),
                Duration.ofMinutes(4), Duration.ofMinutes(8), Duration.ofMinutes(16), Duration.ofMinutes(32),
                Duration.ofMinutes(64), Duration.ofMinutes(128), Duration.ofMinutes(256), Duration.ofHours(6),
                Duration.ofHours(6), Duration.ofHours(6));
        assertThat(orders("failed")).isEqualTo(12);
        assertThat(served.installed).containsExactly(expiring);
        assertThat(renewal.certificate()).isSameAs(expiring);
        assertThat(renewal.lastFailure()).contains("Connection refused");

        // the next success resets the back-off and schedules the next check
        CertifiedKey fresh = certificate("turn.example.org", NOW, NOW.plus(Duration.ofDays(90)));
        ca.results.add(fresh);
        renewal.check();
        assertThat(served.installed).containsExactly(expiring, fresh);
        assertThat(renewal.lastFailure()).isNull();
        assertThat(executor.delays.get(executor.delays.size() - 1)).isEqualTo(Duration.ofHours(12));
        assertThat(orders("issued")).isEqualTo(1);
    }

    @Test
    void aFreshCertificateAlreadyDueDoesNotLoop() throws Exception {
        ScriptedCa ca = new ScriptedCa();
        CertificateRenewal renewal = renewal(ca, null);
        ca.results.add(certificate("turn.example.org", NOW.minus(Duration.ofDays(89)), NOW.plus(Duration.ofDays(1))));

        renewal.check();

        assertThat(executor.delays).containsExactly(Duration.ofMinutes(1));
        assertThat(registry.get("turnbridge.acme.certificate.expiry").gauge().value())
                .isEqualTo(Duration.ofDays(1).toSeconds());
    }
}
