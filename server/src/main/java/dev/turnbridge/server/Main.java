package dev.turnbridge.server;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Secret;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsException;
import dev.turnbridge.config.SettingsLoader;
import dev.turnbridge.config.SettingsPrinter;
import dev.turnbridge.credentials.RestCredentials;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command line entry point: {@code turnbridge [--config FILE] [--set key=value]... [run|mint-credential]}. */
@Command(name = "turnbridge", mixinStandardHelpOptions = true, version = "turnbridge 0.1.0",
        description = "STUN/TURN relay with WebRTC signaling built in.",
        subcommands = {Main.MintCredential.class, AdminCommand.class})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = "--config", description = "YAML settings file (see turnbridge.sample.yaml)")
    Path config;

    @Option(names = "--set", description = "override one setting, e.g. --set relay.port-min=50000 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--print-config", description = "print the effective settings (secrets redacted) and exit")
    boolean printConfig;

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(new CommandLine(new Main()).execute(args));
    }

    Settings settings() {
        return SettingsLoader.load(config, System.getenv(), overrides);
    }

    @Override
    public Integer call() throws InterruptedException {
        Settings settings;
        try {
            settings = settings();
        } catch (SettingsException e) {
            System.err.println("invalid settings:\n" + e.getMessage());
            return 2;
        }
        if (printConfig) {
            System.out.print(SettingsPrinter.print(settings));
            return 0;
        }
        LogSetup.apply(settings.logging());
        TurnbridgeServer server;
        try {
            server = TurnbridgeServer.start(settings);
        } catch (RuntimeException e) {
            log.error("cannot start: {}", e.getMessage());
            return 1;
        }
        // SIGTERM (systemctl stop, docker stop) drains: new allocations are refused, existing ones may finish
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.drain("SIGTERM").get(settings.drain().deadline().toSeconds() + 10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                server.close();
            } catch (InterruptedException e) {
                server.close();
                Thread.currentThread().interrupt();
            }
        }, "turnbridge-shutdown"));
        log.info("turnbridge {}: relay listening on UDP {}, TCP {}, TLS {} ({})", TurnbridgeServer.version(),
                printable(server.relayAddresses()), printable(server.relay().tcpAddresses()),
                printable(server.relay().tlsAddresses()), server.usesEpoll() ? "epoll" : "nio");
        if (!server.relay().dtlsAddresses().isEmpty()) {
            log.info("relay listening on DTLS {} (RFC 7350)", printable(server.relay().dtlsAddresses()));
        }
        if (!server.signalingAddresses().isEmpty()) {
            log.info("signaling and demo page on {} (open {} on this machine)",
                    printable(server.signalingAddresses()), String.join(" or ", openHints(server.signalingAddresses())));
        }
        if (server.opsAddress() != null) {
            log.info("metrics, health and status on http://{}/ (admin API {})",
                    new HostPort(server.opsAddress().getAddress().getHostAddress(), server.opsAddress().getPort()),
                    settings.admin().token().isEmpty() ? "off" : "on");
            if (!server.opsAddress().getAddress().isLoopbackAddress() && settings.metrics().token().isEmpty()) {
                log.warn("metrics listener {} is not loopback and metrics.token is empty: anyone who reaches it "
                        + "can read the metrics and the status page", settings.metrics().listen());
            }
        }
        if (settings.auth().secretGenerated()) {
            log.warn("no auth secret configured: generated one for this run, so only this process can issue "
                    + "credentials (the signaling endpoints do). Set auth.secrets to share it with your app or "
                    + "other relays.");
            printDevCredential(settings);
        }
        try {
            server.terminated().get();
        } catch (ExecutionException e) {
            return 1;
        }
        return 0;
    }

    /** host:port without Java's "/" prefix; wildcard binds shown as 0.0.0.0 or [::]. */
    static String printable(List<InetSocketAddress> addresses) {
        List<String> out = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            String host = a.getAddress().isAnyLocalAddress() ? "0.0.0.0"
                    : a.getAddress() instanceof Inet6Address ? "[" + a.getAddress().getHostAddress() + "]"
                    : a.getAddress().getHostAddress();
            out.add(host + ":" + a.getPort());
        }
        return String.join(", ", out);
    }

    /**
     * The URLs that reach signaling from this machine, one per listen address: a wildcard bind through loopback
     * of its family, any other address as it is (signaling bound to one interface does not answer on loopback).
     */
    static List<String> openHints(List<InetSocketAddress> addresses) {
        List<String> out = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            boolean v6 = a.getAddress() instanceof Inet6Address;
            String host = a.getAddress().isAnyLocalAddress() ? (v6 ? "[::1]" : "127.0.0.1")
                    : v6 ? "[" + NetUtil.toAddressString(a.getAddress()) + "]"
                    : a.getAddress().getHostAddress();
            String url = "http://" + host + ":" + a.getPort() + "/";
            if (!out.contains(url)) {
                out.add(url);
            }
        }
        return out;
    }

    /**
     * With a generated secret nobody else can mint credentials, so one for local testing goes to a file only
     * this user can read (deleted when the process ends, when the secret dies too); only its path is logged.
     */
    private static void printDevCredential(Settings settings) {
        try {
            Path file = DevCredentialFile.write(settings.auth().secrets().get(0),
                    Path.of(System.getProperty("java.io.tmpdir")), Instant.now());
            file.toFile().deleteOnExit();
            log.warn("dev TURN credential (valid 24 h) written to {} (mode 0600)", file);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            log.warn("dev TURN credential not written: {}", e.toString());
        }
    }

    @Command(name = "mint-credential", mixinStandardHelpOptions = true,
            description = "Print a time-limited TURN REST credential signed with the first auth secret.")
    static final class MintCredential implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main parent;

        @Option(names = "--id", required = true, description = "user or session id (after the expiry in the username)")
        String id;

        @Option(names = "--ttl", defaultValue = "86400", description = "validity in seconds (default ${DEFAULT-VALUE})")
        long ttlSeconds;

        @Override
        public Integer call() {
            Settings settings;
            try {
                settings = parent.settings();
            } catch (SettingsException e) {
                System.err.println("invalid settings:\n" + e.getMessage());
                return 2;
            }
            if (settings.auth().secretGenerated()) {
                System.err.println("no auth secret configured (auth.secrets): a credential minted now would "
                        + "not match a running server");
                return 2;
            }
            Secret secret = settings.auth().secrets().get(0);
            var c = RestCredentials.issue(secret, id, Duration.ofSeconds(ttlSeconds), Instant.now());
            System.out.println("username=" + c.username());
            System.out.println("password=" + c.password());
            System.out.println("expires=" + c.expiresAt());
            return 0;
        }
    }
}
