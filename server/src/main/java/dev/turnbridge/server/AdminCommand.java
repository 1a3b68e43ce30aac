package dev.turnbridge.server;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.config.Settings;
import dev.turnbridge.config.SettingsException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code turnbridge admin ...}: calls the admin API of a running server. The URL and token come from the same
 * settings the server reads ({@code --config}, {@code TURNBRIDGE_ADMIN__TOKEN}), or from {@code --url} and
 * {@code --token-file}; a token is never taken on the command line, where {@code ps} would show it.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Call the admin API of a running turnbridge (metrics listener, admin.token).",
        subcommands = {AdminCommand.Allocations.class, AdminCommand.EndAllocations.class, AdminCommand.Rooms.class,
                AdminCommand.CloseRoom.class, AdminCommand.Kick.class, AdminCommand.Drain.class})
final class AdminCommand {
    @CommandLine.ParentCommand
    Main parent;

    @Option(names = "--url", description = "base URL of the metrics listener (default: from metrics.listen)")
    URI url;

    @Option(names = "--token-file", description = "file holding the admin token (default: admin.token)")
    Path tokenFile;

    PrintStream out = System.out;
    PrintStream err = System.err;

    int call(String method, String path) {
        String token;
        URI base;
        try {
            Settings settings = parent.settings();
            base = url != null ? url : baseUrl(settings.metrics().listen());
            token = tokenFile != null ? Files.readString(tokenFile).strip() : settings.admin().token().reveal();
        } catch (SettingsException e) {
            err.println("invalid settings:\n" + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("cannot read --token-file: " + e.getClass().getSimpleName());
            return 2;
        }
        if (token.isEmpty()) {
            err.println("no admin token: set admin.token (e.g. TURNBRIDGE_ADMIN__TOKEN) or pass --token-file");
            return 2;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                out.print(response.body());
                return 0;
            }
            err.print("HTTP " + response.statusCode() + ": " + response.body());
            return 1;
        } catch (IOException e) {
            err.println("cannot reach " + base + ": " + e.getClass().getSimpleName());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** A wildcard bind is reached on loopback. */
    static URI baseUrl(HostPort listen) {
        String host = listen.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            host = "::1";
        }
        return URI.create("http://" + new HostPort(host, listen.port()) + "/");
    }

    static String query(String name, String value) {
        return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Exactly one of --username or --room. */
    static final class Selector {
        @Option(names = "--username", required = true, description = "TURN username") String username;
        @Option(names = "--room", required = true, description = "room code (signaling-issued credentials)") String room;

        String query() {
            return username != null ? AdminCommand.query("username", username) : AdminCommand.query("room", room);
        }
    }

    @Command(name = "allocations", mixinStandardHelpOptions = true, description = "List allocations (JSON).")
    static final class Allocations implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;
        @CommandLine.ArgGroup(exclusive = true) Selector selector;

        @Override
        public Integer call() {
            return admin.call("GET", "admin/allocations" + (selector == null ? "" : "?" + selector.query()));
        }
    }

    @Command(name = "end-allocations", mixinStandardHelpOptions = true,
            description = "End every allocation of a username or a room.")
    static final class EndAllocations implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;
        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1") Selector selector;

        @Override
        public Integer call() {
            return admin.call("DELETE", "admin/allocations?" + selector.query());
        }
    }

    @Command(name = "rooms", mixinStandardHelpOptions = true, description = "List rooms (JSON).")
    static final class Rooms implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;

        @Override
        public Integer call() {
            return admin.call("GET", "admin/rooms");
        }
    }

    @Command(name = "close-room", mixinStandardHelpOptions = true, description = "Close a room.")
    static final class CloseRoom implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;
        @Parameters(paramLabel = "CODE", description = "room code") String code;

        @Override
        public Integer call() {
            return admin.call("DELETE", "admin/rooms/" + URLEncoder.encode(code, StandardCharsets.UTF_8));
        }
    }

    @Command(name = "kick", mixinStandardHelpOptions = true,
            description = "Remove one member from a room; its TURN credentials stop working and its allocations end.")
    static final class Kick implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;
        @Parameters(index = "0", paramLabel = "CODE", description = "room code") String code;
        @Parameters(index = "1", paramLabel = "MEMBER", description = "the member's peer id") String member;

        @Override
        public Integer call() {
            return admin.call("DELETE", "admin/rooms/" + URLEncoder.encode(code, StandardCharsets.UTF_8)
                    + "/members/" + URLEncoder.encode(member, StandardCharsets.UTF_8));
        }
    }

        @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Start a graceful drain: refuse new allocations, stop when existing ones end.")
    static final class Drain implements Callable<Integer> {
        @CommandLine.ParentCommand AdminCommand admin;

        @Override
        public Integer call() {
            return admin.call("POST", "admin/drain");
        }
    }
}
