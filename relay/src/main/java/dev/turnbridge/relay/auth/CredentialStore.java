package dev.turnbridge.relay.auth;

import dev.turnbridge.config.AuthSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.stun.PasswordAlgorithm;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Resolves a USERNAME to the long-term keys that could have signed its request: one key for a static user,
 * one per configured secret for a REST username (every secret verifies, so a rotated-out secret keeps working
 * until it is removed). Unknown usernames get as many decoy keys as a REST username would, so a wrong
 * password and an unknown user cost the same time.
 *
 * <p>USERHASH (RFC 8489 §14.4) resolves for static users only: their hashes are computed once here. A REST
 * username is minted elsewhere and never stored, so its hash cannot be reversed; such clients must send
 * USERNAME, which is why the nonce cookie does not advertise "Username anonymity" by default.
 */
public final class CredentialStore {
    private final List<Secret> secrets;
    private final Map<String, Secret> staticUsers;
    private final String realm;
    private final Clock clock;
    private final Map<String, String> staticUsersByHash;

    public CredentialStore(AuthSettings auth, String realm, Clock clock) {
        this.secrets = auth.secrets();
        this.staticUsers = auth.staticUsers();
        this.realm = realm;
        this.clock = clock;
        Map<String, String> byHash = new HashMap<>();
        for (String username : staticUsers.keySet()) {
            byHash.put(HexFormat.of().formatHex(Userhash.of(username, realm)), username);
        }
        this.staticUsersByHash = Map.copyOf(byHash);
    }

    public String realm() {
        return realm;
    }

    /** The username whose USERHASH is {@code userhash}, or null when none is known (static users only). */
    public String usernameFor(byte[] userhash) {
        return userhash == null ? null : staticUsersByHash.get(HexFormat.of().formatHex(userhash));
    }

    /** Candidate MD5 keys for {@code username}; {@link Candidates#known()} is false for unknown users. */
    public Candidates keysFor(String username) {
        return keysFor(username, PasswordAlgorithm.MD5);
    }

    /** Candidate keys for {@code username} under a {@link PasswordAlgorithm}. */
    public Candidates keysFor(String username, int algorithm) {
        Secret password = staticUsers.get(username);
        if (password != null) {
            return new Candidates(true, false,
                    List.of(LongTermKey.derive(username, realm, password.reveal(), algorithm)));
        }
        long expiry = RestCredentials.expiryOf(username);
        List<byte[]> keys = new ArrayList<>(secrets.size());
        for (Secret secret : secrets) {
            String derived = RestCredentials.password(secret, username);
            keys.add(LongTermKey.derive(username, realm, derived, algorithm));
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
