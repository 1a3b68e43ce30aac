package dev.turnbridge.server.acme;

import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.ServedCertificate;
import dev.turnbridge.server.acme.CertificateOrder.AcmeFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an ACME certificate served: checks at start and every {@code checkInterval}; orders one when none is
 * served, when the served one does not cover the configured domains, or when less than a third of its lifetime
 * (at most 30 days) is left. A failed order is retried after a back-off that doubles from {@code minBackoff} to
 * {@code maxBackoff}; the working certificate stays served until a new one is in hand. Counted as
 * {@code turnbridge_acme_orders_total{outcome}}; the served certificate's remaining validity is
 * {@code turnbridge_acme_certificate_expiry_seconds}. All work runs on the one ACME thread.
 */
public final class CertificateRenewal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);
    private static final Duration MAX_RENEW_BEFORE = Duration.ofDays(30);

    private final List<String> domains;
    private final ServedCertificate served;
    private final CertificateOrder orders;
    private final ScheduledExecutorService executor;
    private final Clock clock;
    private final Duration checkInterval;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Counter issued;
    private final Counter failed;
    private volatile CertifiedKey acmeCertificate;
    private volatile String lastFailure;
    private Duration backoff;
    private ScheduledFuture<?> next;
    private volatile boolean closed;

    /**
     * @param stored the certificate from the state directory, or null; served at once if it covers the domains
     */
    CertificateRenewal(List<String> domains, ServedCertificate served, CertificateOrder orders, CertifiedKey stored,
            ScheduledExecutorService executor, Clock clock, MeterRegistry registry, Duration checkInterval,
            Duration minBackoff, Duration maxBackoff) {
        this.domains = List.copyOf(domains);
        this.served = served;
        this.orders = orders;
        this.executor = executor;
        this.clock = clock;
        this.checkInterval = checkInterval;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.backoff = minBackoff;
        this.issued = Counter.builder("turnbridge.acme.orders").tag("outcome", "issued")
                .description("ACME orders by outcome").register(registry);
        this.failed = Counter.builder("turnbridge.acme.orders").tag("outcome", "failed")
                .description("ACME orders by outcome").register(registry);
        Gauge.builder("turnbridge.acme.certificate.expiry", this, CertificateRenewal::secondsLeft)
                .description("seconds until the ACME certificate served expires (negative: expired; NaN: none yet)")
                .baseUnit("seconds").register(registry);
        if (stored != null && covers(stored)) {
            served.install(stored);
            acmeCertificate = stored;
            log.info("ACME: serving the stored certificate for {}, valid until {}", domains, notAfter(stored));
        } else if (stored != null) {
            log.info("ACME: the stored certificate names {}, not {}: ordering a new one", stored.dnsNames(), domains);
        }
    }

    /** Runs the first check now (off the caller's thread). */
    public void start() {
        schedule(Duration.ZERO);
    }

    private synchronized void schedule(Duration delay) {
        if (!closed) {
            next = executor.schedule(this::check, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    void check() {
        CertifiedKey current = acmeCertificate;
        if (current != null && clock.instant().isBefore(renewAt(current))) {
            schedule(untilNextCheck(current));
            return;
        }
        log.info("ACME: {} for {}", current == null ? "ordering a first certificate" : "renewing the certificate "
                + "valid until " + notAfter(current), domains);
        try {
            CertifiedKey fresh = orders.order(current == null ? null : current.leaf());
            served.install(fresh);
            acmeCertificate = fresh;
            lastFailure = null;
            issued.increment();
            backoff = minBackoff;
            // a fresh certificate already due (clock skew, a CA issuing very short ones) must not loop
            Duration wait = untilNextCheck(fresh);
            schedule(wait.compareTo(minBackoff) < 0 ? minBackoff : wait);
        } catch (AcmeFailure e) {
            retry(current, e.getMessage(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (RuntimeException e) {
            // a bug or an unusable certificate must not end the renewals: counted and retried like a refusal
            retry(current, e.toString(), e);
        }
    }

    private void retry(CertifiedKey current, String why, Throwable unexpected) {
        failed.increment();
        lastFailure = why;
        Duration wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        String keeping = current == null ? "serving the self-signed certificate meanwhile"
                : "keeping the certificate valid until " + notAfter(current);
        String in = wait.toString().substring(2).toLowerCase(Locale.ROOT); // PT1M30S -> 1m30s
        if (unexpected == null) {
            log.warn("ACME: order failed, {}; retrying in {}: {}", keeping, in, why);
        } else {
            log.warn("ACME: order failed, {}; retrying in {}", keeping, in, unexpected);
        }
        schedule(wait);
    }

    /** The next check: the renewal time, or the check interval if that comes first (clock jumps, revocations). */
    private Duration untilNextCheck(CertifiedKey key) {
        Duration wait = Duration.between(clock.instant(), renewAt(key));
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(checkInterval) < 0 ? wait : checkInterval;
    }

    /** When {@code key} is due for renewal: a third of its lifetime, at most 30 days, before it expires. */
    static Instant renewAt(CertifiedKey key) {
        X509Certificate leaf = key.leaf();
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        Duration before = Duration.between(notBefore, notAfter).dividedBy(3);
        if (before.compareTo(MAX_RENEW_BEFORE) > 0) {
            before = MAX_RENEW_BEFORE;
        }
        return notAfter.minus(before);
    }

    private boolean covers(CertifiedKey key) {
        List<String> names = key.dnsNames().stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
        return domains.stream().allMatch(d -> names.contains(d.toLowerCase(Locale.ROOT)));
    }

    private static Instant notAfter(CertifiedKey key) {
        return key.leaf().getNotAfter().toInstant();
    }

    private double secondsLeft() {
        CertifiedKey current = acmeCertificate;
        return current == null ? Double.NaN
                : Duration.between(clock.instant(), notAfter(current)).toMillis() / 1000.0;
    }

    /** The certificate obtained by ACME and served, or null while the self-signed one is. */
    public CertifiedKey certificate() {
        return acmeCertificate;
    }

    /** Why the last order failed, or null when it succeeded or none failed yet. */
    public String lastFailure() {
        return lastFailure;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(true);
        }
    }
}
