package dev.turnbridge.signaling.access;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JSON Web Key Set (RFC 7517 §5) read from a file or a URL, cached, and re-read in the background when it
 * is older than {@code refreshAfter}, or when a token names a key id we do not know (a key rotation), at most
 * once per {@code minInterval}. Reading never happens on the caller's thread: a file is read on the given
 * executor, a URL fetched by the JDK's HTTP client; so a Netty event loop never waits for it.
 * Only public signing keys are kept.
 */
public final class JwksSource {

    /** A JWKS is a few kilobytes; a larger answer is refused rather than buffered. */
    static final int MAX_BYTES = 256 * 1024;
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(JwksSource.class);

    private final String name;
    private final Supplier<CompletableFuture<String>> loader;
    private final Clock clock;
    private final Duration refreshAfter;
    private final Duration minInterval;
    private volatile JWKSet keys = new JWKSet();
    private volatile Instant loadedAt;
    private Instant lastAttempt;
    private CompletableFuture<JWKSet> inFlight;

    JwksSource(String name, Supplier<CompletableFuture<String>> loader, Clock clock, Duration refreshAfter,
               Duration minInterval) {
        this.name = name;
        this.loader = loader;
        this.clock = clock;
        this.refreshAfter = refreshAfter;
        this.minInterval = minInterval;
    }

    /** A JWKS file, read on {@code executor}. */
    public static JwksSource file(Path file, Executor executor, Clock clock, Duration refreshAfter,
                                  Duration minInterval) {
        return new JwksSource(file.toString(), () -> CompletableFuture.supplyAsync(() -> {
            try {
                if (Files.size(file) > MAX_BYTES) {
                    throw new IOException("larger than " + MAX_BYTES + " bytes");
                }
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, executor), clock, refreshAfter, minInterval);
    }

    /**
     * A JWKS URL, fetched with {@code client} (redirects not followed, 5 s timeout, 256 KiB at most). The request
     * starts on {@code executor}, so not even the host name look-up runs on the caller's thread.
     */
    public static JwksSource url(URI url, HttpClient client, Executor executor, Clock clock, Duration refreshAfter,
                                 Duration minInterval) {
        return new JwksSource(url.toString(), () -> {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(FETCH_TIMEOUT)
                    .header("Accept", "application/json").GET().build();
            return CompletableFuture.supplyAsync(() -> request, executor)
                    .thenCompose(r -> client.sendAsync(r, info -> new BoundedBody(MAX_BYTES))).thenApply(response -> {
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + response.statusCode());
                }
                return new String(response.body(), StandardCharsets.UTF_8);
            });
        }, clock, refreshAfter, minInterval);
    }

    /** Starts the first load; completes with the keys (possibly none, when loading failed). */
    public synchronized CompletableFuture<JWKSet> load() {
        return inFlight != null ? inFlight : start();
    }

    /** The keys as last loaded; starts a background re-read when they are older than {@code refreshAfter}. */
    public JWKSet current() {
        Instant at = loadedAt;
        if (at != null && !clock.instant().isBefore(at.plus(refreshAfter))) {
            refresh();
        }
        return keys;
    }

    /** True once a load has succeeded. */
    public boolean loaded() {
        return loadedAt != null;
    }

    /** Re-reads the set unless that was tried within {@code minInterval}; completes with the newest keys. */
    public synchronized CompletableFuture<JWKSet> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        if (lastAttempt != null && clock.instant().isBefore(lastAttempt.plus(minInterval))) {
            return CompletableFuture.completedFuture(keys);
        }
        return start();
    }

    private CompletableFuture<JWKSet> start() {
        lastAttempt = clock.instant();
        CompletableFuture<JWKSet> f;
        try {
            f = loader.get().thenApply(JwksSource::publicSigningKeys);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<JWKSet> done = f.handle((set, error) -> {
            synchronized (this) {
                inFlight = null;
                if (set != null) {
                    keys = set;
                    loadedAt = clock.instant();
                    log.debug("JWKS {}: {} signing keys", name, set.getKeys().size());
                } else {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    log.warn("JWKS {} could not be loaded ({}); keeping {} known keys", name, cause.toString(),
                            keys.getKeys().size());
                }
                return keys;
            }
        });
        if (!done.isDone()) {
            inFlight = done;
        }
        return done;
    }

    static JWKSet publicSigningKeys(String json) {
        JWKSet parsed;
        try {
            parsed = JWKSet.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JWKS: " + e.getMessage(), e);
        }
        List<JWK> keep = new ArrayList<>();
        for (JWK jwk : parsed.getKeys()) {
            JWK pub = jwk.toPublicJWK();
            // oct keys are secrets, never verification keys from a key set (HS/RS confusion).
            if (pub != null && !jwk.getKeyType().getValue().equals("oct")
                    && (jwk.getKeyUse() == null || KeyUse.SIGNATURE.equals(jwk.getKeyUse()))) {
                keep.add(pub);
            }
        }
        return new JWKSet(keep);
    }

    /** Collects a response body up to {@code max} bytes; beyond, cancels and fails. */
    static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (out.size() + b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new IOException("JWKS larger than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
