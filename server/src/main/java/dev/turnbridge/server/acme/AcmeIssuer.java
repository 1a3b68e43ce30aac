package dev.turnbridge.server.acme;

import dev.turnbridge.config.AcmeSettings;
import dev.turnbridge.config.tls.CertifiedKey;
import dev.turnbridge.config.tls.ServedCertificate;
import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.util.KeyPairUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orders one certificate from the CA (RFC 8555 §7.4): account (created on first use, found by its key after),
 * new order for the domains, one challenge per pending authorization, finalize with a CSR of a new domain key,
 * download the chain, store it. TLS-ALPN-01 (RFC 8737) is answered by the TLS listeners through
 * {@link ServedCertificate}; HTTP-01 (RFC 8555 §8.3), where {@code tls.acme.http-listen} is set, by
 * {@link Http01Tokens}. Blocking: runs on the ACME thread, never an event loop. Every step is logged, no key.
 */
final class AcmeIssuer implements CertificateOrder {
    private static final Logger log = LoggerFactory.getLogger(AcmeIssuer.class);

    private final AcmeSettings settings;
    private final AcmeStateDir state;
    private final ServedCertificate served;
    private final Http01Tokens http01;
    private final Duration timeout;

    /**
     * @param http01  where HTTP-01 key authorizations go; null to answer TLS-ALPN-01 instead
     * @param timeout how long each wait (a challenge's validation, the order becoming ready, issuance) may take
     */
    AcmeIssuer(AcmeSettings settings, AcmeStateDir state, ServedCertificate served, Http01Tokens http01,
            Duration timeout) {
        this.settings = settings;
        this.state = state;
        this.served = served;
        this.http01 = http01;
        this.timeout = timeout;
    }

    @Override
    public CertifiedKey order(X509Certificate replacing) throws AcmeFailure, InterruptedException {
        try {
            Session session = new Session(settings.directoryUri(), new TrustingProvider(settings.caFile()));
            AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(state.accountKey());
            if (!settings.email().isEmpty()) {
                builder.addEmail(settings.email());
            }
            Account account = builder.create(session);
            log.info("ACME: account {} at {}", account.getLocation(), settings.directoryUri());
            Order order = account.newOrder().domains(settings.domains()).create();
            log.info("ACME: order {} for {}", order.getLocation(), settings.domains());
            for (Authorization auth : order.getAuthorizations()) {
                if (auth.getStatus() != Status.VALID) {
                    authorize(auth);
                }
            }
            if (order.waitUntilReady(timeout) != Status.READY) {
                throw new AcmeFailure("order not ready: " + order.getStatus() + problem(order.getError().orElse(null)));
            }
            KeyPair domainKey = AcmeStateDir.newKeyPair();
            order.execute(domainKey);
            if (order.waitForCompletion(timeout) != Status.VALID) {
                throw new AcmeFailure("order not issued: " + order.getStatus() + problem(order.getError().orElse(null)));
            }
            List<X509Certificate> chain = order.getCertificate().getCertificateChain();
            state.store(domainKey, chain);
            CertifiedKey issued = new CertifiedKey(domainKey.getPrivate(), chain);
            log.info("ACME: issued {} for {}, valid until {}", issued, settings.domains(),
                    issued.leaf().getNotAfter().toInstant());
            return issued;
        } catch (AcmeException e) {
            // acme4j's network errors say only "Network error": the cause tells which (refused, timeout, TLS)
            Throwable cause = e.getCause();
            throw new AcmeFailure(e.getMessage() + (cause == null || cause.getMessage() == null ? ""
                    : ": " + cause.getMessage()), e);
        } catch (IOException e) {
            throw new AcmeFailure("state directory " + state.path() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AcmeFailure(e.getMessage(), e); // acme4j refuses an identifier or a directory URL
        }
    }

    private void authorize(Authorization auth) throws AcmeException, AcmeFailure, InterruptedException {
        String domain = auth.getIdentifier().getDomain();
        if (http01 != null) {
            Http01Challenge challenge = auth.findChallenge(Http01Challenge.class)
                    .orElseThrow(() -> new AcmeFailure(domain + ": the CA offers no http-01 challenge"));
            http01.put(challenge.getToken(), challenge.getAuthorization());
            try {
                validate(domain, challenge);
            } finally {
                http01.remove(challenge.getToken());
            }
        } else {
            TlsAlpn01Challenge challenge = auth.findChallenge(TlsAlpn01Challenge.class)
                    .orElseThrow(() -> new AcmeFailure(domain + ": the CA offers no tls-alpn-01 challenge"));
            // acme4j signs the challenge certificate with SHA256withRSA, so this one key is RSA
            KeyPair key = KeyPairUtils.createKeyPair(2048);
            X509Certificate certificate = challenge.createCertificate(key, auth.getIdentifier());
            served.answerTlsAlpn01(domain, new CertifiedKey(key.getPrivate(), List.of(certificate)));
            try {
                validate(domain, challenge);
            } finally {
                served.withdrawTlsAlpn01(domain);
            }
        }
    }

    private void validate(String domain, Challenge challenge) throws AcmeException, AcmeFailure, InterruptedException {
        log.info("ACME: answering {} for {}", challenge.getType(), domain);
        challenge.trigger();
        Status status = challenge.waitForCompletion(timeout);
        if (status != Status.VALID) {
            throw new AcmeFailure(domain + ": " + challenge.getType() + " " + status
                    + problem(challenge.getError().orElse(null)));
        }
        log.info("ACME: {} valid for {}", challenge.getType(), domain);
    }

    private static String problem(Problem p) {
        return p == null ? "" : " (" + p + ")";
    }
}
