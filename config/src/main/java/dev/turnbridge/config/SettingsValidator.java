package dev.turnbridge.config;

import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks every setting and reports every problem at once, each as {@code name: value (expected: ...)}.
 * Secret values show as {@code <redacted>}. {@link SettingsLoader} runs it; it is public for settings built in
 * code (tests, embedding).
 */
public final class SettingsValidator {
    private static final Duration MAX_LIFETIME = Duration.ofDays(1);
    private static final Duration MIN_NONCE = Duration.ofSeconds(10);
    private static final String IP = "an IPv4 or IPv6 literal";
    // RFC 1123 labels, at most 253 characters; no wildcard: a client connects to exactly this name.
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(\\." + LABEL + ")*\\.?");
    private static final int MIN_TOKEN = 16;
    private static final List<String> LOG_FORMATS = List.of("plain", "json");
    private static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    private final List<String> errors = new ArrayList<>();

    private SettingsValidator() {
    }

    /** All problems with {@code settings}; empty when valid. */
    public static List<String> validate(Settings settings) {
        SettingsValidator v = new SettingsValidator();
        v.top(settings);
        v.listeners(settings.listeners());
        v.tls(settings.tls());
        v.acmeChallenges(settings.tls().acme(), settings.listeners());
        v.auth(settings.auth());
        v.relay(settings.relay());
        v.lifetimes(settings.lifetimes());
        v.quotas(settings.quotas());
        v.peers(settings.peers());
        v.amplification(settings.amplification());
        v.signaling(settings.signaling());
        v.sharedPorts(settings.signaling(), settings.listeners());
        v.redis(settings.signaling(), settings.relay(), settings.redis());
        v.metrics(settings.metrics(), settings.admin());
        v.drain(settings.drain());
        v.logging(settings.logging());
        return List.copyOf(v.errors);
    }

    /** Throws a {@link SettingsException} listing all problems, if there are any. */
    public static void requireValid(Settings settings) {
        List<String> errors = validate(settings);
        if (!errors.isEmpty()) {
            throw new SettingsException(errors);
        }
    }

    private void top(Settings s) {
        // RFC 8489 §14.9: fewer than 128 characters; it travels in a quoted-string, so no quote or backslash.
        String realm = s.realm();
        boolean printable = realm.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
        if (realm.isEmpty() || realm.length() > 127 || !printable) {
            fail("realm", realm, "1-127 printable ASCII characters without \" or \\");
        }
        // RFC 8489 §14.14: at most 763 bytes of UTF-8.
        int bytes = s.software().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 763) {
            fail("software", bytes + " bytes", "at most 763 bytes of UTF-8");
        }
    }

    private void listeners(ListenerSettings l) {
        if (l.udp().isEmpty() && l.tcp().isEmpty() && l.tls().isEmpty() && l.dtls().isEmpty()) {
            fail("listeners", "udp: [], tcp: [], tls: [], dtls: []", "at least one host:port in udp, tcp, tls or dtls");
        }
        hostPorts("listeners.udp", l.udp());
        hostPorts("listeners.tcp", l.tcp());
        hostPorts("listeners.tls", l.tls());
        hostPorts("listeners.dtls", l.dtls());
        // 576: the smallest datagram every IPv4 host must accept (RFC 791); 65535: UDP's own limit.
        range("listeners.max-datagram-size", l.maxDatagramSize(), 576, 65535);
        // at least one largest message must fit, or a client could never be sent anything
        range("listeners.stream-write-buffer", l.streamWriteBuffer(), 65536, 64 * 1024 * 1024);
        between("listeners.stream-stall-timeout", l.streamStallTimeout(), Duration.ofSeconds(1), Duration.ofMinutes(10));
        range("listeners.connections-per-ip", l.connectionsPerIp(), 1, 1_000_000);
        between("listeners.allocation-timeout", l.allocationTimeout(), Duration.ofSeconds(1), Duration.ofMinutes(10));
        hostPorts("listeners.proxy-protocol", l.proxyProtocol());
        for (int i = 0; i < l.proxyProtocol().size(); i++) {
            HostPort hp = l.proxyProtocol().get(i);
            if (!l.tcp().contains(hp) && !l.tls().contains(hp)) {
                fail("listeners.proxy-protocol[" + i + "]", hp, "one of listeners.tcp or listeners.tls");
            }
        }
        cidrs("listeners.proxy-protocol-sources", l.proxyProtocolSources());
        if (!l.proxyProtocol().isEmpty() && l.proxyProtocolSources().isEmpty()) {
            fail("listeners.proxy-protocol-sources", "[]", "the load balancers' CIDRs when listeners.proxy-protocol is set");
        }
    }

    private void between(String name, Duration d, Duration min, Duration max) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            fail(name, SettingsModule.formatDuration(d),
                    SettingsModule.formatDuration(min) + "-" + SettingsModule.formatDuration(max));
        }
    }

    private void hostPorts(String name, List<HostPort> list) {
        for (int i = 0; i < list.size(); i++) {
            HostPort hp = list.get(i);
            String item = name + "[" + i + "]";
            if (!"localhost".equals(hp.host()) && !IpLiteral.isValid(hp.host())) {
                fail(item, hp, "an IP literal or localhost as host");
            }
            if (hp.port() < 0 || hp.port() > 65535) {
                fail(item, hp, "port 0-65535");
            }
        }
    }

    private void tls(TlsSettings t) {
        if (t.certFile().isEmpty() != t.keyFile().isEmpty()) {
            String missing = t.certFile().isEmpty() ? "tls.cert-file" : "tls.key-file";
            fail(missing, "", "set together with " + (t.certFile().isEmpty() ? "tls.key-file" : "tls.cert-file")
                    + ", or both empty for a self-signed certificate");
        } else if (!t.selfSigned()) {
            readable("tls.cert-file", t.certFile());
            readable("tls.key-file", t.keyFile());
        }
        Duration d = t.reloadInterval();
        if (d.isNegative() || (!d.isZero() && d.compareTo(Duration.ofSeconds(1)) < 0) || d.compareTo(MAX_LIFETIME) > 0) {
            fail("tls.reload-interval", SettingsModule.formatDuration(d), "0 (off) or 1s-24h");
        }
        acme(t);
    }

    private void acme(TlsSettings t) {
        AcmeSettings a = t.acme();
        if (a.enabled() && !t.selfSigned()) {
            fail("tls.acme.domains", a.domains(), "empty when tls.cert-file/tls.key-file are set (one source of certificates)");
        }
        for (int i = 0; i < a.domains().size(); i++) {
            String d = a.domains().get(i);
            // RFC 8555 §7.1.4 dns identifiers; a wildcard needs DNS-01 and an IP the "ip" identifier (RFC 8738)
            boolean numericTld = d.matches(".*(^|\\.)[0-9]+\\.?$");
            if (!DNS_NAME.matcher(d).matches() || d.endsWith(".") || IpLiteral.isValid(d) || numericTld) {
                fail("tls.acme.domains[" + i + "]", d, "a DNS name such as turn.example.org (no IP, no wildcard, "
                        + "no trailing dot)");
            } else if (a.domains().subList(0, i).stream().anyMatch(d::equalsIgnoreCase)) {
                fail("tls.acme.domains[" + i + "]", d, "each name once");
            }
        }
        if (a.domains().size() > 100) {
            fail("tls.acme.domains", a.domains().size() + " names", "at most 100 (Let's Encrypt's limit)");
        }
        if (!a.email().isEmpty() && !a.email().matches("[^@\\s:,<>]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")) {
            fail("tls.acme.email", a.email(), "empty or an e-mail address such as ops@example.org");
        }
        String directory = a.directory();
        boolean known = directory.equals("letsencrypt") || directory.equals("letsencrypt-staging");
        if (!known && !directory.matches("https://[^\\s]+")) {
            fail("tls.acme.directory", directory, "letsencrypt, letsencrypt-staging or an https:// directory URL");
        }
        if (a.enabled() && a.stateDir().isEmpty()) {
            fail("tls.acme.state-dir", "", "a directory that survives restarts");
        }
        if (!a.caFile().isEmpty()) {
            readable("tls.acme.ca-file", a.caFile());
        }
        hostPorts("tls.acme.http-listen", a.httpListen());
        if (!a.httpListen().isEmpty() && !a.enabled()) {
            fail("tls.acme.http-listen", a.httpListen(), "empty unless tls.acme.domains is set");
        }
        range("tls.acme.redirect-port", a.redirectPort(), 1, 65535);
    }

    /** The CA must reach a challenge: TLS-ALPN-01 on a TURN/shared TLS listener, or HTTP-01 on http-listen. */
    private void acmeChallenges(AcmeSettings a, ListenerSettings l) {
        if (a.enabled() && l.tls().isEmpty() && a.httpListen().isEmpty()) {
            fail("tls.acme.domains", a.domains(), "a listeners.tls port (TLS-ALPN-01 is answered there) or "
                    + "tls.acme.http-listen (HTTP-01)");
        }
    }

    private void readable(String name, String file) {
        if (!Files.isRegularFile(Path.of(file)) || !Files.isReadable(Path.of(file))) {
            fail(name, file, "a readable PEM file");
        }
    }

    private void auth(AuthSettings a) {
        if (a.secrets().isEmpty()) {
            fail("auth.secrets", "[]", "at least one secret");
        }
        for (int i = 0; i < a.secrets().size(); i++) {
            if (a.secrets().get(i).isEmpty()) {
                fail("auth.secrets[" + i + "]", a.secrets().get(i), "a non-empty string");
            }
        }
        for (Map.Entry<String, Secret> user : a.staticUsers().entrySet()) {
            if (user.getKey().isEmpty()) {
                fail("auth.static-users", "\"\"", "non-empty user names");
            }
            if (user.getValue().isEmpty()) {
                fail("auth.static-users." + user.getKey(), user.getValue(), "a non-empty password");
            }
        }
    }

    private void relay(RelaySettings r) {
        if (!IpLiteral.isValid(r.address())) {
            fail("relay.address", r.address(), IP);
        }
        String v6 = r.addressV6();
        if (!v6.isEmpty() && (!IpLiteral.isValid(v6) || !(IpLiteral.address(v6) instanceof Inet6Address))) {
            fail("relay.address-v6", v6, "empty or an IPv6 literal");
        }
        // The advertised address must be one a client can send to: a wildcard says nothing.
        String ext = r.externalAddress();
        if (!ext.isEmpty() && (!IpLiteral.isValid(ext) || IpLiteral.address(ext).isAnyLocalAddress())) {
            fail("relay.external-address", ext, "empty or " + IP + " other than a wildcard");
        }
        boolean minOk = range("relay.port-min", r.portMin(), 1, 65535);
        boolean maxOk = range("relay.port-max", r.portMax(), 1, 65535);
        if (minOk && maxOk && r.portMin() > r.portMax()) {
            fail("relay.port-max", r.portMax(), ">= relay.port-min (" + r.portMin() + ")");
        }
        socketBuffer("relay.socket-receive-buffer", r.socketReceiveBuffer());
        socketBuffer("relay.socket-send-buffer", r.socketSendBuffer());
    }

    // 0 leaves the kernel's default; below 4 KiB not even a few datagrams fit; 256 MiB is far past any sysctl cap
    private void socketBuffer(String name, int bytes) {
        if (bytes != 0 && (bytes < 4096 || bytes > 256 * 1024 * 1024)) {
            fail(name, bytes, "0 (kernel default) or 4096-268435456 bytes");
        }
    }

    private void lifetimes(LifetimeSettings l) {
        boolean defaultOk = lifetime("lifetimes.allocation-default", l.allocationDefault());
        boolean maxOk = lifetime("lifetimes.allocation-max", l.allocationMax());
        lifetime("lifetimes.permission", l.permission());
        lifetime("lifetimes.channel", l.channel());
        if (defaultOk && maxOk && l.allocationDefault().compareTo(l.allocationMax()) > 0) {
            fail("lifetimes.allocation-default", SettingsModule.formatDuration(l.allocationDefault()),
                    "<= lifetimes.allocation-max (" + SettingsModule.formatDuration(l.allocationMax()) + ")");
        }
        // Shorter nonces make clients re-authenticate every few requests.
        Duration nonce = l.nonce();
        if (nonce.compareTo(MIN_NONCE) < 0 || nonce.compareTo(MAX_LIFETIME) > 0) {
            fail("lifetimes.nonce", SettingsModule.formatDuration(nonce), "10s-24h");
        }
    }

    private boolean lifetime(String name, Duration d) {
        if (d.isNegative() || d.isZero() || d.compareTo(MAX_LIFETIME) > 0) {
            fail(name, SettingsModule.formatDuration(d), "> 0 and <= 24h");
            return false;
        }
        return true;
    }

    private void quotas(QuotaSettings q) {
        atLeastOne("quotas.allocations-per-user", q.allocationsPerUser());
        atLeastOne("quotas.allocations-total", q.allocationsTotal());
        atLeastOne("quotas.permissions-per-allocation", q.permissionsPerAllocation());
        atLeastOne("quotas.channels-per-allocation", q.channelsPerAllocation());
        atLeastOne("quotas.connections-per-allocation", q.connectionsPerAllocation());
        atLeastOne("quotas.allocations-per-member", q.allocationsPerMember());
        atLeastOne("quotas.allocations-per-room", q.allocationsPerRoom());
        atLeastOne("quotas.allocations-per-address", q.allocationsPerAddress());
        if (q.roomBandwidth() < 0) {
            fail("quotas.room-bandwidth", q.roomBandwidth(), "0 (no limit) or bytes per second > 0");
        }
        if (q.roomBandwidth() > 0 && q.roomBurst() < q.roomBandwidth() / 1000) {
            // below one millisecond's worth the bucket cannot pass a steady stream of full-size datagrams
            fail("quotas.room-burst", q.roomBurst(), ">= room-bandwidth / 1000 (" + q.roomBandwidth() / 1000 + ")");
        }
        if (q.roomBurst() < 0) {
            fail("quotas.room-burst", q.roomBurst(), ">= 0 bytes");
        }
    }

    private void peers(PeerPolicySettings p) {
        cidrs("peers.deny", p.deny());
        cidrs("peers.allow", p.allow());
    }

    private void amplification(AmplificationSettings a) {
        double rate = a.unauthenticatedRate();
        if (!(rate >= 0) || rate > 1_000_000) {
            fail("amplification.unauthenticated-rate", rate, "0 (off) or > 0 responses per second");
        }
        atLeastOne("amplification.unauthenticated-burst", a.unauthenticatedBurst());
    }

    /**
     * A {@code signaling.tls-listen} address shares its port with the relay only when it is written exactly as a
     * {@code listeners.tls} entry; any other overlap with a relay TCP/TLS listener or a plain signaling listener
     * would fail to bind at start, so it is reported here with the others.
     */
    private void sharedPorts(SignalingSettings s, ListenerSettings l) {
        hostPorts("signaling.tls-listen", s.tlsListen());
        for (int i = 0; i < s.tlsListen().size(); i++) {
            HostPort hp = s.tlsListen().get(i);
            if (hp.port() == 0 || l.tls().contains(hp)) {
                continue;
            }
            boolean taken = s.listen().stream().anyMatch(o -> o.port() == hp.port())
                    || l.tcp().stream().anyMatch(o -> o.port() == hp.port())
                    || l.tls().stream().anyMatch(o -> o.port() == hp.port());
            if (taken) {
                fail("signaling.tls-listen[" + i + "]", hp, "a port no other TCP listener uses, or exactly the"
                        + " address of a listeners.tls entry to serve TURN and HTTPS on one port");
            }
        }
    }

    private void signaling(SignalingSettings s) {
        for (int i = 0; i < s.listen().size(); i++) {
            HostPort hp = s.listen().get(i);
            if (!"localhost".equals(hp.host()) && !IpLiteral.isValid(hp.host())) {
                fail("signaling.listen[" + i + "]", hp, "an IP literal or localhost as host");
            }
        }
        if (s.listen().isEmpty()) {
            fail("signaling.listen", "[]", "at least one host:port");
        }
        boolean maxOk = range("signaling.room-capacity-max", s.roomCapacityMax(), 1, 1000);
        range("signaling.room-capacity-default", s.roomCapacityDefault(), 1, maxOk ? s.roomCapacityMax() : 1000);
        boolean ttlMaxOk = lifetime("signaling.room-ttl-max", s.roomTtlMax());
        if (lifetime("signaling.room-ttl-default", s.roomTtlDefault()) && ttlMaxOk
                && s.roomTtlDefault().compareTo(s.roomTtlMax()) > 0) {
            fail("signaling.room-ttl-default", SettingsModule.formatDuration(s.roomTtlDefault()),
                    "<= signaling.room-ttl-max (" + SettingsModule.formatDuration(s.roomTtlMax()) + ")");
        }
        atLeastOne("signaling.max-rooms", s.maxRooms());
        if (!(s.roomCreationRate() >= 0) || s.roomCreationRate() > 1_000_000) {
            fail("signaling.room-creation-rate", s.roomCreationRate(), "0 (off) or > 0 rooms per second");
        }
        atLeastOne("signaling.room-creation-burst", s.roomCreationBurst());
        if (!(s.roomLookupRate() >= 0) || s.roomLookupRate() > 1_000_000) {
            fail("signaling.room-lookup-rate", s.roomLookupRate(), "0 (off) or > 0 lookups per second");
        }
        atLeastOne("signaling.room-lookup-burst", s.roomLookupBurst());
        cidrs("signaling.trusted-proxies", s.trustedProxies());
        between("signaling.request-timeout", s.requestTimeout(), Duration.ofSeconds(1), Duration.ofMinutes(10));
        // 1 KiB: an SDP offer alone is a few KiB, so less would break every call.
        range("signaling.max-message-size", s.maxMessageSize(), 1024, 16 * 1024 * 1024);
        if (!(s.messageRate() > 0) || s.messageRate() > 1_000_000) {
            fail("signaling.message-rate", s.messageRate(), "> 0 messages per second");
        }
        atLeastOne("signaling.message-burst", s.messageBurst());
        atLeastOne("signaling.connections-per-ip", s.connectionsPerIp());
        for (int i = 0; i < s.allowedOrigins().size(); i++) {
            String o = s.allowedOrigins().get(i);
            if (!o.equals("*") && !o.matches("https?://[^/\\s]+/?")) {
                fail("signaling.allowed-origins[" + i + "]", o, "* or scheme://host[:port]");
            }
        }
        lifetime("signaling.idle-timeout", s.idleTimeout());
        boolean hbOk = lifetime("signaling.heartbeat-interval", s.heartbeatInterval());
        if (lifetime("signaling.heartbeat-timeout", s.heartbeatTimeout()) && hbOk
                && s.heartbeatTimeout().compareTo(s.heartbeatInterval()) <= 0) {
            fail("signaling.heartbeat-timeout", SettingsModule.formatDuration(s.heartbeatTimeout()),
                    "> signaling.heartbeat-interval (" + SettingsModule.formatDuration(s.heartbeatInterval()) + ")");
        }
        lifetime("signaling.resume-grace", s.resumeGrace());
        Duration ttl = s.turnCredentialTtl();
        if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(MAX_LIFETIME) > 0) {
            fail("signaling.turn-credential-ttl", SettingsModule.formatDuration(ttl), "1m-24h");
        }
        for (int i = 0; i < s.turnUris().size(); i++) {
            String uri = s.turnUris().get(i);
            if (!uri.matches("(?i)(stun|stuns|turn|turns):\\S+")) {
                fail("signaling.turn-uris[" + i + "]", uri, "a stun:, stuns:, turn: or turns: URI");
            }
        }
        String turnsHost = s.turnsHost();
        if (!turnsHost.isEmpty() && !DNS_NAME.matcher(turnsHost).matches() && !IpLiteral.isValid(turnsHost)) {
            fail("signaling.turns-host", turnsHost, "empty, a DNS name (turn.example.org) or " + IP);
        }
        // One address creates at most burst + rate x ttl rooms that are alive at once: keep that below
        // max-rooms, so that it cannot lock room creation for everyone (the capacity math of the sample config).
        if (s.roomCreationRate() > 0 && ttlMaxOk && s.roomCreationBurst() >= 1 && s.maxRooms() >= 1
                && s.roomCreationBurst() + s.roomCreationRate() * s.roomTtlMax().toSeconds() > s.maxRooms()) {
            long bound = (long) Math.floor((s.maxRooms() - s.roomCreationBurst()) / s.roomCreationRate());
            fail("signaling.room-ttl-max", SettingsModule.formatDuration(s.roomTtlMax()),
                    "<= (max-rooms - room-creation-burst) / room-creation-rate = " + Math.max(0, bound) + "s");
        }
        access(s);
        supabase(s.supabase());
    }

    private void supabase(SupabaseSettings s) {
        for (int i = 0; i < s.anonKeys().size(); i++) {
            if (s.anonKeys().get(i).isEmpty()) {
                fail("signaling.supabase.anon-keys[" + i + "]", "\"\"", "a key of at least " + MIN_TOKEN + " characters");
            }
            token("signaling.supabase.anon-keys[" + i + "]", s.anonKeys().get(i));
        }
        if (s.maxChannelsPerSocket() < 1 || s.maxChannelsPerSocket() > 1000) {
            fail("signaling.supabase.max-channels-per-socket", s.maxChannelsPerSocket(), "1-1000");
        }
        if (s.maxPresenceSize() < 64 || s.maxPresenceSize() > 65536) {
            fail("signaling.supabase.max-presence-size", s.maxPresenceSize(), "64-65536");
        }
    }

    private void access(SignalingSettings s) {
        atLeastOne("signaling.rooms-per-user", s.roomsPerUser());
        Duration joinTtl = s.joinTokenTtl();
        if (joinTtl.compareTo(Duration.ofSeconds(10)) < 0 || joinTtl.compareTo(MAX_LIFETIME) > 0) {
            fail("signaling.join-token-ttl", SettingsModule.formatDuration(joinTtl), "10s-24h");
        }
        JwtSettings jwt = s.jwt();
        switch (s.access()) {
            case SignalingSettings.ACCESS_JWT -> {
                if (!jwt.hasKeys()) {
                    fail("signaling.jwt", "no keys", "signaling.jwt.secret, jwks-file or jwks-url for "
                            + "signaling.access: jwt (or signaling.access: open for development)");
                }
            }
            case SignalingSettings.ACCESS_API_KEY -> {
                // The key is all that stands between the internet and room creation in this mode.
                if (s.apiKey().isEmpty()) {
                    fail("signaling.api-key", "\"\"", "a key of at least " + MIN_TOKEN
                            + " characters for signaling.access: api-key");
                } else {
                    token("signaling.api-key", s.apiKey());
                }
            }
            case SignalingSettings.ACCESS_OPEN -> { }
            default -> fail("signaling.access", s.access(), "jwt, api-key or open");
        }
        // HS256 needs a 256-bit key (RFC 7518 §3.2); Supabase's JWT secrets are longer.
        if (!jwt.secret().isEmpty() && jwt.secret().bytes().length < 32) {
            fail("signaling.jwt.secret", jwt.secret(), "empty, or at least 32 bytes (HS256)");
        }
        if (!jwt.jwksFile().isEmpty() && !Files.isReadable(Path.of(jwt.jwksFile()))) {
            fail("signaling.jwt.jwks-file", jwt.jwksFile(), "empty, or a readable JWKS file");
        }
        if (!jwt.jwksFile().isEmpty() && !jwt.jwksUrl().isEmpty()) {
            fail("signaling.jwt.jwks-file", jwt.jwksFile(), "empty when signaling.jwt.jwks-url is set (one JWKS)");
        }
        String url = jwt.jwksUrl();
        if (!url.isEmpty() && !url.matches("https://[^\\s/]+(/\\S*)?")
                && !url.matches("http://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?(/\\S*)?")) {
            fail("signaling.jwt.jwks-url", url, "empty, an https:// URL, or http:// on loopback");
        }
        Duration skew = jwt.clockSkew();
        if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
            fail("signaling.jwt.clock-skew", SettingsModule.formatDuration(skew), "0s-5m");
        }
        for (int i = 0; i < jwt.requiredClaims().size(); i++) {
            if (jwt.requiredClaims().get(i).isBlank()) {
                fail("signaling.jwt.required-claims[" + i + "]", "\"\"", "a claim name");
            }
        }
        boolean minOk = lifetime("signaling.jwt.jwks-min-refresh", jwt.jwksMinRefresh());
        if (lifetime("signaling.jwt.jwks-refresh", jwt.jwksRefresh()) && minOk
                && jwt.jwksRefresh().compareTo(jwt.jwksMinRefresh()) < 0) {
            fail("signaling.jwt.jwks-refresh", SettingsModule.formatDuration(jwt.jwksRefresh()),
                    ">= signaling.jwt.jwks-min-refresh (" + SettingsModule.formatDuration(jwt.jwksMinRefresh()) + ")");
        }
    }

    private void metrics(MetricsSettings m, AdminSettings a) {
        HostPort hp = m.listen();
        if (!"localhost".equals(hp.host()) && !IpLiteral.isValid(hp.host())) {
            fail("metrics.listen", hp, "an IP literal or localhost as host");
        }
        token("metrics.token", m.token());
        token("admin.token", a.token());
        if (!m.enabled() && !a.token().isEmpty()) {
            fail("admin.token", a.token(), "empty while metrics.enabled is false (the admin API is served on the "
                    + "metrics listener)");
        }
    }

    // A bearer token is the only thing guarding the admin API: short ones are guessable.
    private void token(String name, Secret token) {
        if (!token.isEmpty() && (token.reveal().length() < MIN_TOKEN || !token.reveal().chars().allMatch(
                c -> c > 0x20 && c < 0x7f))) {
            fail(name, token, "empty, or at least " + MIN_TOKEN + " printable ASCII characters without spaces");
        }
    }

    private void drain(DrainSettings d) {
        if (d.deadline().isNegative() || d.deadline().compareTo(MAX_LIFETIME) > 0) {
            fail("drain.deadline", SettingsModule.formatDuration(d.deadline()), "0s-24h");
        }
        for (int i = 0; i < d.alternateServers().size(); i++) {
            HostPort hp = d.alternateServers().get(i);
            if (!IpLiteral.isValid(hp.host()) || IpLiteral.address(hp.host()).isAnyLocalAddress() || hp.port() < 1) {
                fail("drain.alternate-servers[" + i + "]", hp,
                        "an IP literal other than a wildcard with a port 1-65535 (ALTERNATE-SERVER carries no name)");
            }
        }
    }

    /**
     * The registry, and the Redis settings whatever the registry (a file that switches to redis later should not
     * meet its mistakes then). A URI shows with its password redacted.
     */
    private void redis(SignalingSettings s, RelaySettings relay, RedisSettings r) {
        if (!List.of(SignalingSettings.REGISTRY_MEMORY, SignalingSettings.REGISTRY_REDIS).contains(s.registry())) {
            fail("signaling.registry", s.registry(), "memory or redis");
        }
        String nodes = relay.nodes();
        if (!List.of(RelaySettings.NODES_SELF, RelaySettings.NODES_REDIS).contains(nodes)) {
            fail("relay.nodes", nodes, "self or redis");
        } else if (RelaySettings.NODES_REDIS.equals(nodes) && !SignalingSettings.REGISTRY_REDIS.equals(s.registry())) {
            fail("relay.nodes", nodes, "self, or redis together with signaling.registry: redis");
        } else if (RelaySettings.NODES_REDIS.equals(nodes) && relay.externalAddress().isBlank()
                && s.turnUris().isEmpty()) {
            // other nodes' members get these URIs: the address a client used to reach this node means nothing there
            fail("relay.nodes", nodes, "redis with relay.external-address or signaling.turn-uris set");
        }
        if (SignalingSettings.REGISTRY_REDIS.equals(s.registry()) && s.supabase().enabled()) {
            fail("signaling.supabase.anon-keys", s.supabase().anonKeys().size() + " key(s)",
                    "[] with signaling.registry: redis (the Realtime front-end keeps its rooms in one process for now)");
        }
        List<String> uris = r.uris();
        if (uris.isEmpty()) {
            fail("redis.uri", "\"\"", "redis://host:port or rediss://host:port");
        }
        for (String u : uris) {
            if (!validRedisUri(u)) {
                fail("redis.uri", RedisSettings.redacted(u), "redis://[:password@]host:port[/db] or rediss://...");
            }
        }
        if (uris.size() > 1 && !r.cluster()) {
            fail("redis.uri", uris.size() + " URIs", "one URI, or redis.cluster: true for several seed nodes");
        }
        if (r.keyPrefix().length() > 64 || r.keyPrefix().chars().anyMatch(c -> c <= 0x20 || c >= 0x7f
                || c == '{' || c == '}')) {
            // A brace would make the prefix a hash tag, sending every room to one cluster slot.
            fail("redis.key-prefix", r.keyPrefix(), "at most 64 printable ASCII characters without spaces, { or }");
        }
        between("redis.presence-lease", r.presenceLease(), Duration.ofSeconds(3), Duration.ofMinutes(5));
        between("redis.command-timeout", r.commandTimeout(), Duration.ofMillis(100), Duration.ofMinutes(1));
    }

    private static boolean validRedisUri(String u) {
        try {
            java.net.URI uri = new java.net.URI(u);
            return ("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
                    && uri.getHost() != null && uri.getPort() >= -1 && uri.getPort() <= 65535
                    && uri.getQuery() == null && uri.getFragment() == null
                    && (uri.getPath() == null || uri.getPath().matches("(/\\d{1,2})?/?"));
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    private void logging(LoggingSettings l) {
        if (!LOG_FORMATS.contains(l.format())) {
            fail("logging.format", l.format(), "one of " + String.join(", ", LOG_FORMATS));
        }
        if (!LOG_LEVELS.contains(l.level())) {
            fail("logging.level", l.level(), "one of " + String.join(", ", LOG_LEVELS));
        }
    }

    private void cidrs(String name, List<String> ranges) {
        for (int i = 0; i < ranges.size(); i++) {
            try {
                Cidr.parse(ranges.get(i));
            } catch (IllegalArgumentException e) {
                fail(name + "[" + i + "]", ranges.get(i),
                        "an IP literal with an optional /prefix of 0-32 (IPv4) or 0-128 (IPv6)");
            }
        }
    }

    private void atLeastOne(String name, int value) {
        if (value < 1) {
            fail(name, value, ">= 1");
        }
    }

    private boolean range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            fail(name, value, min + "-" + max);
            return false;
        }
        return true;
    }

    private void fail(String name, Object value, String expected) {
        errors.add(SettingsException.error(name, value, expected));
    }
}
