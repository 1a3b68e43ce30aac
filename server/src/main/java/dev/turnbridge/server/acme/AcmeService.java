package dev.turnbridge.server.acme;

import dev.turnbridge.config.AcmeSettings;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.ServedCertificate;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic certificates ({@code tls.acme}), as the composition root sees them: the state directory, the
 * stored certificate served at once, the optional HTTP-01 listener, and the {@link CertificateRenewal} that
 * orders through {@link AcmeIssuer}. The TLS listeners are reached only through {@link ServedCertificate}.
 */
public final class AcmeService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AcmeService.class);
    /** Timings of a real deployment; tests use shorter ones. */
    public record Timing(Duration checkInterval, Duration minBackoff, Duration maxBackoff, Duration orderTimeout) {
        public static final Timing DEFAULT = new Timing(Duration.ofHours(12), Duration.ofMinutes(1),
                Duration.ofHours(6), Duration.ofMinutes(2));
    }

    private final AcmeSettings settings;
    private final Http01Tokens http01 = new Http01Tokens();
    private final AcmeHttpServer http = new AcmeHttpServer();
    private final CertificateRenewal renewal;

    private AcmeService(AcmeSettings settings, ServedCertificate served, MeterRegistry registry,
            ScheduledExecutorService executor, Clock clock, Timing timing) throws IOException {
        this.settings = settings;
        AcmeStateDir state = new AcmeStateDir(Path.of(settings.stateDir()));
        state.prepare();
        CertifiedKey stored = null;
        try {
            stored = state.certificate().orElse(null);
        } catch (IOException e) {
            // half a renewal, or files edited by hand: order a new certificate rather than refuse to start
            log.warn("ACME: the stored certificate is unusable, ordering a new one: {}", e.getMessage());
        }
        AcmeIssuer issuer = new AcmeIssuer(settings, state, served,
                settings.httpListen().isEmpty() ? null : http01, timing.orderTimeout());
        this.renewal = new CertificateRenewal(settings.domains(), served, issuer, stored, executor, clock, registry,
                timing.checkInterval(), timing.minBackoff(), timing.maxBackoff());
    }

    /**
     * Prepares the state directory and serves the stored certificate, if any, at once (before listeners bind).
     *
     * @param executor the ACME thread: orders block on the CA
     */
    public static AcmeService create(AcmeSettings settings, ServedCertificate served, MeterRegistry registry,
            ScheduledExecutorService executor, Clock clock, Timing timing) {
        try {
            return new AcmeService(settings, served, registry, executor, clock, timing);
        } catch (IOException e) {
            throw new UncheckedIOException("tls.acme.state-dir " + settings.stateDir() + ": " + e.getMessage(), e);
        }
    }

    /** Binds the HTTP-01 listeners, if configured, then starts checking (the first order, if due, now). */
    public void start(EventLoopGroup group, Class<? extends ServerChannel> channelType) {
        if (!settings.httpListen().isEmpty()) {
            List<InetSocketAddress> bound = http.start(settings.httpListen(), http01, settings.domains(),
                    settings.redirectPort(), group, channelType);
            log.info("ACME: HTTP-01 and redirects to https on {}", bound);
        }
        renewal.start();
    }

    /** The bound HTTP-01 listener addresses; empty without {@code tls.acme.http-listen}. */
    public List<InetSocketAddress> httpAddresses() {
        return http.addresses();
    }

    /** The certificate obtained by ACME and served, or null while the self-signed one is. */
    public CertifiedKey certificate() {
        return renewal.certificate();
    }

    /** Why the last order failed, or null. */
    public String lastFailure() {
        return renewal.lastFailure();
    }

    @Override
    public void close() {
        renewal.close();
        http.close();
    }
}
