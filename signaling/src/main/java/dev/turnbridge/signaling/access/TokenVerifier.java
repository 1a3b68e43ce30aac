package dev.turnbridge.signaling.access;

import java.util.concurrent.CompletableFuture;

/**
 * Verifies a bearer token. Usually completes at once; completes later only when keys must be (re)loaded, on a
 * thread that is not a Netty event loop, so callers hop back to their own executor.
 */
public interface TokenVerifier {

    CompletableFuture<AuthResult> verify(String token);
}
