package dev.turnbridge.relay.transport;

import dev.turnbridge.config.TlsSettings;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.PemKeyMaterial;
import dev.turnbridge.config.tls.SelfSignedCertificate;
import dev.turnbridge.config.tls.ServedCertificate;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate of the TLS listeners and the {@link SslContext}s built from it: TLS 1.3 and 1.2 only, AEAD
 * suites with forward secrecy, one context per {@link Alpn} profile, its protocols offered but not required
 * (clients without ALPN are served). The relay, HTTPS signaling and the shared port all use this one
 * certificate. With no PEM files configured, a self-signed certificate is generated. {@link #reloadIfChanged} re-reads the files when their modification times change and swaps the
 * context for new connections; a bad renewal is logged and the working certificate kept. With ACME the
 * certificate comes through {@link ServedCertificate#install} instead, and TLS-ALPN-01 challenges (RFC 8737)
 * are answered on these listeners: while one is pending, {@link #newHandler} reads each ClientHello first.
 *
 * <p>The engine is BoringSSL ({@link SslProvider#OPENSSL}, netty-tcnative) when its native library loads:
 * measured at about a seventh of the JDK engine's CPU per handshake. Otherwise the JDK engine serves, with
 * one warning at start; both speak the same protocols, suites and ALPN.
 */
public final class TlsCertificate implements ServedCertificate {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificate.class);
    static final String ALPN_TURN = "stun.turn";
    static final String ALPN_STUN = "stun.nat-discovery";
    static final String ALPN_HTTP = "http/1.1";
    /** RFC 8737 §6.2: the protocol of TLS-ALPN-01 validation handshakes, and nothing else. */
    static final String ALPN_ACME = "acme-tls/1";

    /** Which application protocols a listener offers in ALPN (RFC 7301); the server picks the client's first. */
    public enum Alpn {
        /** TURN listeners (RFC 7443). */
        TURN(ALPN_TURN, ALPN_STUN),
        /** HTTPS/WSS listeners: HTTP/1.1 only (no h2: WebSocket and the API speak HTTP/1.1). */
        HTTP(ALPN_HTTP),
        /** One port for both: each connection then goes where its negotiated protocol says. */
        SHARED(ALPN_TURN, ALPN_HTTP, ALPN_STUN);

        private final List<String> protocols;

        Alpn(String... protocols) {
            this.protocols = List.of(protocols);
        }
    }
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    private static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** The engine every context is built with, chosen once per process. */
    static final SslProvider PROVIDER = chooseProvider();

    private final TlsSettings settings;
    private volatile Map<Alpn, SslContext> contexts;
    private volatile CertifiedKey current;
    private FileTime certModified;
    private FileTime keyModified;
    private volatile long failedReloads;
    // domain (lower case) -> context serving that domain's challenge certificate with ALPN acme-tls/1 only
    private final Map<String, SslContext> challenges = new ConcurrentHashMap<>();

    private TlsCertificate(TlsSettings settings) {
        this.settings = settings;
    }

    /** Loads (or generates) the certificate; a configured file that cannot be read fails the start. */
    public static TlsCertificate load(TlsSettings settings) {
        TlsCertificate tls = new TlsCertificate(settings);
        if (settings.selfSigned()) {
            tls.installNow(SelfSignedCertificate.generate("turnbridge"));
            if (settings.acme().enabled()) {
                log.warn("TLS: serving a self-signed certificate until ACME obtains one for {}, SHA-256 {}",
                        settings.acme().domains(), tls.current.fingerprintSha256());
                return tls;
            }
            log.warn("TLS: no tls.cert-file configured, using a self-signed development certificate, SHA-256 {}"
                    + " (Chromium: --ignore-certificate-errors-spki-list={})", tls.current.fingerprintSha256(),
                    tls.current.spkiSha256Base64());
            return tls;
        }
        try {
            tls.reload();
        } catch (IOException e) {
            throw new UncheckedIOException("TLS certificate: " + e.getMessage(), e);
        }
        log.info("TLS: {}", tls.current);
        return tls;
    }

    /** The context for TURN listeners. */
    SslContext context() {
        return context(Alpn.TURN);
    }

    /** The context of the current certificate for a listener that offers {@code alpn}; fetch per connection. */
    public SslContext context(Alpn alpn) {
        return contexts.get(alpn);
    }

    public CertifiedKey certifiedKey() {
        return current;
    }

    @Override
    public CertifiedKey current() {
        return current;
    }

    /**
     * The handler that does the TLS of one new connection: the current certificate's {@code SslHandler}, or,
     * while a TLS-ALPN-01 challenge is pending, a {@link TlsAlpnChallengeSelector} that becomes one after the
     * ClientHello.
     */
    public ChannelHandler newHandler(Alpn alpn, ByteBufAllocator alloc) {
        if (challenges.isEmpty()) {
            return context(alpn).newHandler(alloc);
        }
        return new TlsAlpnChallengeSelector(this, alpn);
    }

    @Override
    public synchronized void install(CertifiedKey key) {
        installNow(key); // builds every context before it swaps any: an unusable pair replaces nothing
        log.info("TLS: now serving {}", key);
    }

    @Override
    public void answerTlsAlpn01(String domain, CertifiedKey challenge) {
        try {
            SslContext context = SslContextBuilder.forServer(challenge.key(),
                            challenge.chain().toArray(new X509Certificate[0]))
                    .sslProvider(PROVIDER)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
                            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
                            ALPN_ACME))
                    .build();
            challenges.put(domain.toLowerCase(Locale.ROOT), context);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the TLS-ALPN-01 context: " + e.getMessage(), e);
        }
    }

    @Override
    public void withdrawTlsAlpn01(String domain) {
        challenges.remove(domain.toLowerCase(Locale.ROOT));
    }

    /** The context answering a TLS-ALPN-01 challenge for {@code serverName}, or null when none is pending. */
    SslContext challengeContext(String serverName) {
        return challenges.get(serverName.toLowerCase(Locale.ROOT));
    }

    /** Re-reads the PEM files if either changed since the last load; called from a timer. */
    synchronized void reloadIfChanged() {
        if (settings.selfSigned()) {
            return;
        }
        try {
            FileTime cert = Files.getLastModifiedTime(Path.of(settings.certFile()));
            FileTime key = Files.getLastModifiedTime(Path.of(settings.keyFile()));
            if (cert.equals(certModified) && key.equals(keyModified)) {
                return;
            }
            reload();
            log.info("TLS: reloaded {}", current);
        } catch (IOException | RuntimeException e) {
            // half-written renewal or a bad file: keep serving the working certificate, retry on the next tick
            failedReloads++;
            log.warn("TLS: certificate reload failed, keeping the current one: {}", e.getMessage());
        }
    }

    /** Reloads that failed and kept the working certificate: a renewal seen and refused, not just unseen. */
    long failedReloads() {
        return failedReloads;
    }

    private void reload() throws IOException {
        FileTime cert = Files.getLastModifiedTime(Path.of(settings.certFile()));
        FileTime key = Files.getLastModifiedTime(Path.of(settings.keyFile()));
        installNow(PemKeyMaterial.read(Path.of(settings.certFile()), Path.of(settings.keyFile())));
        certModified = cert;
        keyModified = key;
    }

    private void installNow(CertifiedKey key) {
        Map<Alpn, SslContext> built = new EnumMap<>(Alpn.class);
        for (Alpn alpn : Alpn.values()) {
            built.put(alpn, build(key, alpn));
        }
        contexts = built;
        current = key;
    }

    private static SslProvider chooseProvider() {
        if (OpenSsl.isAvailable()) {
            return SslProvider.OPENSSL;
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        log.warn("TLS: the native BoringSSL engine cannot load ({}); using the JDK engine, which costs about twice"
                + " the CPU per TLS record and handshake", cause == null ? "no reason given" : cause.toString());
        return SslProvider.JDK;
    }

    private static SslContext build(CertifiedKey key, Alpn alpn) {
        try {
            // OPENSSL, not OPENSSL_REFCNT: a context dropped by a reload is freed by the GC, not by a release
            return SslContextBuilder.forServer(key.key(), key.chain().toArray(new X509Certificate[0]))
                    .sslProvider(PROVIDER)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
                            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
                            alpn.protocols))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }
}
