package dev.turnbridge.relay.auth;

import dev.turnbridge.config.AuthSettings;
import dev.turnbridge.config.Secret;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Resolves a USERNAME to the long-term keys that could have signed its request: one key for a static user,
 * one per configured secret for a REST username (every secret verifies, so a rotated-out secret keeps working
 * until it is removed). Unknown usernames get as many decoy keys as a REST username would, so a wrong
 * password and an unknown user cost the same time.
 */
public final class CredentialStore {
    private final List<Secret> secrets;
    private final Map<String, Secret> staticUsers;
    private final String realm;
    private final Clock clock;

    public CredentialStore(AuthSettings auth, String realm, Clock clock) {
        this.secrets = auth.secrets();
        this.staticUsers = auth.staticUsers();
        this.realm = realm;
        this.clock = clock;
    }

    public String realm() {
        return realm;
    }

    /** Candidate keys for {@code username}; {@link Candidates#known()} is false for unknown users. */
    public Candidates keysFor(String username) {
        Secret password = staticUsers.get(username);
        if (password != null) {
            return new Candidates(true, false, List.of(LongTermKey.derive(username, realm, password.reveal())));
        }
        long expiry = RestCredentials.expiryOf(username);
        List<byte[]> keys = new ArrayList<>(secrets.size());
        for (Secret secret : secrets) {
            String derived = RestCredentials.password(secret, username);
            keys.add(LongTermKey.derive(username, realm, derived));
        }
        if (expiry < 0) {
            // keys computed anyway so the caller spends the same effort; they are never accepted
            return new Candidates(false, false, keys);
        }
        boolean expired = expiry <= clock.millis() / 1000;
        return new Candidates(true, expired, keys);
    }

    /**
     * @param known   whether the username names a static user or has the REST shape
     * @param expired whether its REST timestamp has passed (refused for new allocations)
     * @param keys    keys to try, in secret order
     */
    public record Candidates(boolean known, boolean expired, List<byte[]> keys) {
    }
}
