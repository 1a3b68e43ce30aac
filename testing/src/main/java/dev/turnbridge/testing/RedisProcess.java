package dev.turnbridge.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One {@code redis-server} of a test's own (Debian's package, which {@code scripts/test} installs): bound to
 * 127.0.0.1 on a free port, its files in a temp directory, appending every write to its AOF so that a
 * {@link #restart()} finds the data again (as a production Redis with persistence would). Stopped by its PID
 * on {@link #close()} and, should a test run die first, by a shutdown hook; the temp directory goes with it.
 * Never the machine's own Redis: other engineers' tests and the system service keep theirs.
 */
public final class RedisProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final int port;
    private final int busPort;
    private final boolean cluster;
    private final Thread hook;
    private Process process;

    private RedisProcess(Path dir, int port, int busPort, boolean cluster) {
        this.dir = dir;
        this.port = port;
        this.busPort = busPort;
        this.cluster = cluster;
        this.hook = new Thread(this::destroyQuietly, "redis-process-" + port + "-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A standalone Redis on a free loopback port. */
    public static RedisProcess standalone() throws IOException {
        return start(false);
    }

    /** A node of a Redis Cluster (not yet part of one: {@link RedisCluster} joins three). */
    static RedisProcess clusterNode() throws IOException {
        return start(true);
    }

    private static RedisProcess start(boolean cluster) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            // A free port can be taken by another engineer's test between our check and Redis's bind: retry.
            RedisProcess redis = new RedisProcess(Files.createTempDirectory("turnbridge-redis-"), freePort(),
                    cluster ? freePort() : 0, cluster);
            try {
                redis.launch();
                return redis;
            } catch (IOException e) {
                redis.close();
                last = e;
            }
        }
        throw last;
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** The PID of the running server (for a test that wants to see it gone). */
    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server at once (SIGKILL): clients see their connections drop, as when a Redis host dies. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts the server again on the same port and files after {@link #kill()}; its data comes back from the AOF. */
    public void restart() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("redis on port " + port + " is running");
        }
        launch();
    }

    /** Runs one command over a fresh connection and returns its reply as text (RESP, for assertions). */
    public String command(String... args) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
            for (String arg : args) {
                request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                        .append(arg).append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return readReply(socket.getInputStream());
        }
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server",
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--dir", dir.toString(), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                "--logfile", dir.resolve("redis.log").toString(), "--daemonize", "no"));
        if (cluster) {
            command.addAll(List.of("--cluster-enabled", "yes", "--cluster-port", Integer.toString(busPort),
                    "--cluster-config-file", dir.resolve("nodes.conf").toString(), "--cluster-node-timeout", "2000"));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server on port " + port + " exited: " + tail());
            }
            try {
                if (command("PING").equals("PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            sleep(20);
        }
        throw new IOException("redis-server on port " + port + " did not answer within " + START_TIMEOUT);
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("redis.log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops the server by its PID and removes its directory. */
    @Override
    public void close() {
        destroyQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) anyway
        }
    }

    private void destroyQuietly() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A RESP reply as text: simple strings, errors ("-ERR ..."), integers, bulk strings, arrays one per line. */
    private static String readReply(InputStream in) throws IOException {
        int type = in.read();
        String line = readLine(in);
        switch (type) {
            case '+', ':' -> {
                return line;
            }
            case '-' -> {
                return "-" + line;
            }
            case '$' -> {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return "";
                }
                byte[] data = in.readNBytes(length + 2);
                return new String(data, 0, length, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int count = Integer.parseInt(line);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    items.add(readReply(in));
                }
                return String.join("\n", items);
            }
            default -> throw new IOException("not a RESP reply: " + (char) type + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed mid-reply");
            }
            line.append((char) c);
        }
        in.read();
        return line.toString();
    }
}
