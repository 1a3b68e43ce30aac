package dev.turnbridge.server.acme;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * acme4j's provider for any directory URL, whose HTTPS client trusts the JDK's roots plus, when
 * {@code tls.acme.ca-file} is set, the certificates in that file (a test CA such as Pebble serves its API with
 * a certificate of its own). Hostnames are verified as always.
 */
final class TrustingProvider extends GenericAcmeProvider {
    private final SSLContext ssl;

    TrustingProvider(String caFile) throws IOException {
        this.ssl = caFile.isEmpty() ? null : context(Path.of(caFile));
    }

    @Override
    protected HttpConnector createHttpConnector(NetworkSettings settings) {
        if (ssl == null) {
            return super.createHttpConnector(settings);
        }
        return new HttpConnector(settings) {
            @Override
            public HttpClient.Builder createClientBuilder() {
                return super.createClientBuilder().sslContext(ssl);
            }
        };
    }

    private static SSLContext context(Path caFile) throws IOException {
        try {
            List<X509Certificate> extra = new ArrayList<>();
            try (InputStream in = Files.newInputStream(caFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    extra.add((X509Certificate) c);
                }
            }
            if (extra.isEmpty()) {
                throw new IOException(caFile + ": no CERTIFICATE block");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            // the JDK's own roots first, then the extra ones
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            int n = 0;
            for (TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate root : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("jdk-" + n++, root);
                    }
                }
            }
            for (X509Certificate c : extra) {
                store.setCertificateEntry("ca-file-" + n++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException(caFile + ": unusable CA file (" + e.getClass().getSimpleName() + ")", e);
        }
    }
}
