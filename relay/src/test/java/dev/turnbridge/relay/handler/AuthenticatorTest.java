package dev.turnbridge.relay.handler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.AuthSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.credentials.RestCredentials;
import dev.turnbridge.relay.allocation.AllocationTable;
import dev.turnbridge.relay.allocation.FiveTuple;
import dev.turnbridge.relay.allocation.RelaySocket;
import dev.turnbridge.relay.auth.CredentialStore;
import dev.turnbridge.relay.auth.LongTermKey;
import dev.turnbridge.relay.auth.Nonces;
import dev.turnbridge.relay.auth.Userhash;
import dev.turnbridge.relay.stun.IntegrityAttributes;
import dev.turnbridge.relay.stun.MessageIntegrity;
import dev.turnbridge.relay.stun.MessageIntegritySha256;
import dev.turnbridge.relay.stun.PasswordAlgorithm;
import dev.turnbridge.relay.stun.StunClass;
import dev.turnbridge.relay.stun.StunDecoder;
import dev.turnbridge.relay.stun.StunMessage;
import dev.turnbridge.relay.stun.StunMessageBuilder;
import dev.turnbridge.relay.stun.StunMethod;
import dev.turnbridge.relay.testing.MutableClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 8489 §9.2.4 from the server's side, with RFC 5389 clients (MESSAGE-INTEGRITY, MD5 key, no
 * password-algorithm attributes) and RFC 8489 clients (PASSWORD-ALGORITHMS echo, SHA-256 key,
 * MESSAGE-INTEGRITY-SHA256, USERHASH) side by side.
 */
class AuthenticatorTest {
    private static final String REALM = "example.org";
    private static final String STATIC_USER = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
    private static final String STATIC_PASSWORD = "TheMatrIX";
    private static final Secret SECRET = new Secret("north");
    private static final Instant NOW = Instant.ofEpochSecond(1_700_000_000);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 40000);
    private static final byte[] OFFERED =
            PasswordAlgorithm.encodeList(PasswordAlgorithm.SHA256, PasswordAlgorithm.MD5);

    private final MutableClock clock = new MutableClock(NOW);
    private final RelayContext context = context(clock);
    private final Authenticator authenticator = new Authenticator(context);
    private final RestCredentials.Credential rest =
            RestCredentials.issue(SECRET, "alice", Duration.ofHours(1), NOW);
    private final AtomicInteger ids = new AtomicInteger();

    private static RelayContext context(Clock clock) {
        Settings settings = SettingsLoader.load(null, Map.of(), List.of("signaling.access=open", "realm=" + REALM, "auth.secrets=north"));
        RelayContext base = RelayContext.create(settings, clock);
        CredentialStore store = new CredentialStore(
                new AuthSettings(List.of(SECRET), false, Map.of(STATIC_USER, new Secret(STATIC_PASSWORD))), REALM,
                clock);
        return new RelayContext(settings, clock, store, new Nonces(Duration.ofMinutes(10), clock),
                base.peerPolicy(), base.quota(), base.ports(), base.stats(), base.ownAddresses());
    }

    // --- the challenge ---------------------------------------------------------------------------------

    @Test
    void challengeOffersSha256ThenMd5UnderANonceCookie() throws Exception {
        StunMessage response = challenge();
        assertThat(errorCode(response)).isEqualTo(401);
        assertThat(response.realm()).isEqualTo(REALM);
        assertThat(response.nonce()).startsWith("obMatJos2AAAB");
        assertThat(response.passwordAlgorithms()).isEqualTo(OFFERED);
        assertThat(response.hasIntegrity() || response.hasIntegritySha256()).isFalse();
    }

    // --- RFC 5389 clients ------------------------------------------------------------------------------

    @Test
    void rfc5389ClientSignsWithMd5KeyAndGetsMessageIntegrityBack() throws Exception {
        String nonce = challenge().nonce();
        byte[] md5 = LongTermKey.derive(rest.username(), REALM, rest.password());
        StunMessage request = request(nonce).username(rest.username()).sign(md5, IntegrityAttributes.SHA1);

        Authenticator.Outcome outcome = authenticator.authenticate(request, CLIENT.getAddress());

        assertThat(outcome.accepted()).isTrue();
        assertThat(outcome.username()).isEqualTo(rest.username());
        assertThat(outcome.key()).isEqualTo(md5);
        assertThat(outcome.passwordAlgorithm()).isEqualTo(PasswordAlgorithm.MD5);
        StunMessage response = decode(StunMessageBuilder.success(request).lifetime(600).encode("sw", outcome.key()));
        assertThat(response.integrityAttributes()).isEqualTo(IntegrityAttributes.SHA1);
        assertThat(MessageIntegrity.verify(response, md5)).isTrue();
    }

    @Test
    void rfc5389ClientWithWrongPasswordGets401() throws Exception {
        String nonce = challenge().nonce();
        byte[] wrong = LongTermKey.derive(rest.username(), REALM, "guess");
        StunMessage request = request(nonce).username(rest.username()).sign(wrong, IntegrityAttributes.SHA1);
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).isEqualTo(401);
        assertThat(response.passwordAlgorithms()).isEqualTo(OFFERED);
    }

    @Test
    void nonceWithoutCookieIsStale() throws Exception {
        // an RFC 5769-style nonce, or one this server issued before it spoke RFC 8489
        byte[] md5 = LongTermKey.derive(rest.username(), REALM, rest.password());
        StunMessage request = request("f//499k954d6OL34oL9FSTvy64sA").username(rest.username())
                .sign(md5, IntegrityAttributes.SHA1);
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).isEqualTo(438);
        assertThat(response.nonce()).startsWith("obMatJos2");
        assertThat(response.passwordAlgorithms()).isEqualTo(OFFERED);
    }

    // --- RFC 8489 clients ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} key, MI {1}, MI-SHA256 {2}")
    @CsvSource({
        "2, false, 32",
        "2, true, 32",
        "2, true, 0",
        "1, false, 32",
        "1, true, 0",
    })
    void rfc8489ClientChoosesAnOfferedAlgorithm(int algorithm, boolean sha1, int sha256Length) throws Exception {
        String nonce = challenge().nonce();
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), algorithm);
        IntegrityAttributes integrity = new IntegrityAttributes(sha1, sha256Length);
        StunMessage request = request(nonce).username(rest.username()).algorithms(OFFERED, algorithm)
                .sign(key, integrity);

        Authenticator.Outcome outcome = authenticator.authenticate(request, CLIENT.getAddress());

        assertThat(outcome.accepted()).isTrue();
        assertThat(outcome.key()).isEqualTo(key);
        assertThat(outcome.passwordAlgorithm()).isEqualTo(algorithm);
        StunMessage response = decode(StunMessageBuilder.success(request).encode("sw", outcome.key()));
        assertThat(response.integrityAttributes()).isEqualTo(integrity);
        assertThat(!sha1 || MessageIntegrity.verify(response, key)).isTrue();
        assertThat(sha256Length == 0 || MessageIntegritySha256.verify(response, key)).isTrue();
    }

    @Test
    void sha256KeyUnderAnMd5ClaimIsUnauthenticated() throws Exception {
        String nonce = challenge().nonce();
        byte[] sha256 = LongTermKey.derive(rest.username(), REALM, rest.password(), PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).username(rest.username()).algorithms(OFFERED, PasswordAlgorithm.MD5)
                .sign(sha256, IntegrityAttributes.SHA256);
        assertThat(errorCode(rejection(request))).isEqualTo(401);
    }

    @Test
    void wrongIntegritySha256Gets401WithAFreshChallenge() throws Exception {
        String nonce = challenge().nonce();
        byte[] wrong = LongTermKey.derive(rest.username(), REALM, "guess", PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).username(rest.username())
                .algorithms(OFFERED, PasswordAlgorithm.SHA256).sign(wrong, IntegrityAttributes.SHA256);
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).isEqualTo(401);
        assertThat(response.nonce()).startsWith("obMatJos2AAAB");
        assertThat(response.passwordAlgorithms()).isEqualTo(OFFERED);
    }

    @Test
    void truncatedIntegritySha256IsABadRequestForTurn() throws Exception {
        // RFC 8489 §14.6 allows truncation only where the usage says so; TURN does not
        String nonce = challenge().nonce();
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).username(rest.username())
                .algorithms(OFFERED, PasswordAlgorithm.SHA256).sign(key, new IntegrityAttributes(false, 16));
        assertThat(MessageIntegritySha256.verify(request, key)).isTrue();
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).isEqualTo(400);
        assertThat(response.nonce()).isNull();
    }

    /** §9.2.4: once the nonce advertised password algorithms, the pair must echo what was offered. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "PASSWORD-ALGORITHMS dropped (bid-down to MD5),     , 1",
        "PASSWORD-ALGORITHMS dropped (SHA-256 chosen),      , 2",
        "PASSWORD-ALGORITHM dropped,                        0002000000010000, -1",
        "list rewritten to MD5 only (bid-down),             00010000, 1",
        "list reordered,                                    0001000000020000, 2",
        "algorithm not offered,                             0002000000010000, 3",
    })
    void passwordAlgorithmsThatDoNotEchoTheOfferAreRefused(String name, String echoedHex, int chosen)
            throws Exception {
        String nonce = challenge().nonce();
        byte[] echoed = echoedHex == null ? null : java.util.HexFormat.of().parseHex(echoedHex);
        int keyAlgorithm = chosen == PasswordAlgorithm.SHA256 ? PasswordAlgorithm.SHA256 : PasswordAlgorithm.MD5;
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), keyAlgorithm);
        StunMessage request = request(nonce).username(rest.username()).algorithms(echoed, chosen)
                .sign(key, IntegrityAttributes.BOTH);
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).as(name).isEqualTo(400);
        assertThat(response.hasIntegrity() || response.hasIntegritySha256()).isFalse();
    }

    @Test
    void staleNonceGets438WithPasswordAlgorithms() throws Exception {
        String nonce = challenge().nonce();
        clock.advance(Duration.ofMinutes(11));
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).username(rest.username())
                .algorithms(OFFERED, PasswordAlgorithm.SHA256).sign(key, IntegrityAttributes.SHA256);
        StunMessage response = rejection(request);
        assertThat(errorCode(response)).isEqualTo(438);
        assertThat(response.passwordAlgorithms()).isEqualTo(OFFERED);
        assertThat(response.nonce()).startsWith("obMatJos2AAAB").isNotEqualTo(nonce);
    }

    @Test
    void nonceFromAnotherAddressIsStale() throws Exception {
        String nonce = challenge().nonce();
        byte[] md5 = LongTermKey.derive(rest.username(), REALM, rest.password());
        StunMessage request = request(nonce).username(rest.username()).sign(md5, IntegrityAttributes.SHA1);
        Authenticator.Outcome outcome = authenticator.authenticate(request, InetAddress.getByName("192.0.2.8"));
        assertThat(errorCode(decode(outcome.rejection().encode("", null)))).isEqualTo(438);
    }

    // --- USERHASH --------------------------------------------------------------------------------------

    @Test
    void userhashOfAStaticUserResolves() throws Exception {
        String nonce = challenge().nonce();
        byte[] key = LongTermKey.derive(STATIC_USER, REALM, STATIC_PASSWORD, PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).userhash(Userhash.of(STATIC_USER, REALM))
                .algorithms(OFFERED, PasswordAlgorithm.SHA256).sign(key, IntegrityAttributes.SHA256);
        Authenticator.Outcome outcome = authenticator.authenticate(request, CLIENT.getAddress());
        assertThat(outcome.accepted()).isTrue();
        assertThat(outcome.username()).isEqualTo(STATIC_USER);
    }

    @Test
    void userhashOfARestUserCannotBeResolved() throws Exception {
        String nonce = challenge().nonce();
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), PasswordAlgorithm.SHA256);
        StunMessage request = request(nonce).userhash(Userhash.of(rest.username(), REALM))
                .algorithms(OFFERED, PasswordAlgorithm.SHA256).sign(key, IntegrityAttributes.SHA256);
        assertThat(errorCode(rejection(request))).isEqualTo(401);
    }

    @Test
    void neitherUsernameNorUserhashIsABadRequest() throws Exception {
        String nonce = challenge().nonce();
        byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password());
        StunMessage request = request(nonce).sign(key, IntegrityAttributes.SHA1);
        assertThat(errorCode(rejection(request))).isEqualTo(400);
    }

    // --- through the dispatcher ------------------------------------------------------------------------

    @Test
    void dispatcherSignsErrorsTheWayTheRequestWasSigned() throws Exception {
        TurnDispatcher dispatcher = new TurnDispatcher(context);
        for (int algorithm : new int[] {PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256}) {
            String nonce = challenge().nonce();
            byte[] key = LongTermKey.derive(rest.username(), REALM, rest.password(), algorithm);
            Request r = request(StunMethod.REFRESH, nonce).username(rest.username());
            IntegrityAttributes integrity = IntegrityAttributes.SHA1;
            if (algorithm == PasswordAlgorithm.SHA256) {
                r.algorithms(OFFERED, algorithm);
                integrity = IntegrityAttributes.SHA256;
            }
            RecordingExchange exchange = new RecordingExchange();
            dispatcher.dispatch(r.sign(key, integrity), exchange);
            StunMessage response = decode(exchange.sent.get(0));
            assertThat(errorCode(response)).isEqualTo(437); // Refresh without an allocation
            assertThat(response.integrityAttributes()).isEqualTo(integrity);
            assertThat(integrity.sha256()
                    ? MessageIntegritySha256.verify(response, key)
                    : MessageIntegrity.verify(response, key)).isTrue();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------

    private StunMessage challenge() throws Exception {
        return rejection(request(null).unsigned());
    }

    private StunMessage rejection(StunMessage request) throws Exception {
        Authenticator.Outcome outcome = authenticator.authenticate(request, CLIENT.getAddress());
        assertThat(outcome.accepted()).as("expected a rejection").isFalse();
        return decode(outcome.rejection().encode("", null));
    }

    private Request request(String nonce) {
        return request(StunMethod.ALLOCATE, nonce);
    }

    private Request request(int method, String nonce) {
        byte[] id = new byte[12];
        id[11] = (byte) ids.incrementAndGet();
        StunMessageBuilder b = StunMessageBuilder.of(method, StunClass.REQUEST, id);
        return new Request(b, nonce);
    }

    /** A request being built in the order RFC 8489 clients use. */
    private static final class Request {
        private final StunMessageBuilder builder;
        private final String nonce;
        private final List<Consumer<StunMessageBuilder>> credentials = new ArrayList<>();

        Request(StunMessageBuilder builder, String nonce) {
            this.builder = builder;
            this.nonce = nonce;
        }

        Request username(String username) {
            credentials.add(b -> b.username(username));
            return this;
        }

        Request userhash(byte[] userhash) {
            credentials.add(b -> b.userhash(userhash));
            return this;
        }

        Request algorithms(byte[] echoed, int chosen) {
            credentials.add(b -> {
                if (echoed != null) {
                    b.passwordAlgorithms(echoed);
                }
                if (chosen >= 0) {
                    b.passwordAlgorithm(chosen);
                }
            });
            return this;
        }

        StunMessage unsigned() throws Exception {
            return decode(builder.encode("", null));
        }

        StunMessage sign(byte[] key, IntegrityAttributes integrity) throws Exception {
            credentials.forEach(c -> c.accept(builder));
            builder.realm(REALM);
            if (nonce != null) {
                builder.nonce(nonce);
            }
            return decode(builder.encode("", key, integrity));
        }
    }

    private static StunMessage decode(byte[] b) throws Exception {
        return StunDecoder.decode(b, b.length);
    }

    private static int errorCode(StunMessage response) {
        assertThat(response.messageClass()).isEqualTo(StunClass.ERROR_RESPONSE);
        return response.errorCode();
    }

    /** Records what the dispatcher sends. */
    private static final class RecordingExchange implements Exchange {
        final List<byte[]> sent = new ArrayList<>();
        private final AllocationTable allocations = new AllocationTable(a -> { });
        private final TransactionCache transactions = new TransactionCache(16);

        @Override
        public FiveTuple fiveTuple() {
            return new FiveTuple(CLIENT, new InetSocketAddress("192.0.2.1", 3478), FiveTuple.Transport.UDP);
        }

        @Override
        public AllocationTable allocations() {
            return allocations;
        }

        @Override
        public TransactionCache transactions() {
            return transactions;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public StreamExchange stream() {
            return null; // UDP
        }

        @Override
        public void resend(byte[] encoded) {
            sent.add(encoded);
        }

        @Override
        public void respond(StunMessageBuilder response, byte[] integrityKey) {
            sent.add(response.encode("", integrityKey));
        }

        @Override
        public void openRelaySocket(InetAddress ip, int port, BiConsumer<RelaySocket, Throwable> done) {
            throw new UnsupportedOperationException();
        }
    }
}
