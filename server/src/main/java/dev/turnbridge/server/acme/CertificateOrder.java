package dev.turnbridge.server.acme;

import dev.turnbridge.config.tls.CertifiedKey;
import java.security.cert.X509Certificate;

/** Obtains a new certificate for the configured domains; blocking. {@link AcmeIssuer} asks an ACME CA. */
interface CertificateOrder {

    /**
     * @param replacing the certificate served now, or null for a first issuance
     * @return the new certificate with its key, already stored
     * @throws AcmeFailure when the CA refuses, is unreachable or a challenge fails; the caller retries later
     */
    CertifiedKey order(X509Certificate replacing) throws AcmeFailure, InterruptedException;

    /** Why an order did not end with a certificate; the message names the step, never a key. */
    final class AcmeFailure extends Exception {
        AcmeFailure(String message) {
            super(message);
        }

        AcmeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
