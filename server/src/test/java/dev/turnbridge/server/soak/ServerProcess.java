package dev.turnbridge.server.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server under soak: {@code java -jar turnbridge.jar} as a child process, so that its heap, file
 * descriptors and relay ports can be measured from outside without the load generator's own objects in the
 * picture. Every wait is bounded; {@link #close()} (also run from a shutdown hook) ends the process.
 */
final class ServerProcess implements AutoCloseable {

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private final Process process;
    private final Path log;
    private final int relayPortMin;
    private final int relayPortMax;

    private ServerProcess(Process process, Path log, int relayPortMin, int relayPortMax) {
        this.process = process;
        this.log = log;
        this.relayPortMin = relayPortMin;
        this.relayPortMax = relayPortMax;
    }

    /** Starts the jar with {@code --set} for every setting and waits (bounded) until both listeners are up. */
    static ServerProcess start(Path jar, Path log, List<String> jvmOptions, List<String> settings,
            int relayPortMin, int relayPortMax) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        for (String s : settings) {
            command.add("--set");
            command.add(s);
        }
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerProcess server = new ServerProcess(p, log, relayPortMin, relayPortMax);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "soak-server-stop"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("server exited with " + p.exitValue() + "; see " + log);
            }
            String text = server.logText();
            if (text.contains("relay listening") && text.contains("signaling and demo page")) {
                return server;
            }
            Thread.sleep(100);
        }
        server.close();
        throw new IOException("server not up within 60 s; see " + log);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** A figure the soak judges by could not be read from {@code /proc}: a FAIL, never a pass. */
    static final class ProcUnreadable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProcUnreadable(String what, Exception cause) {
            super("cannot read " + what + (cause == null ? "" : ": " + cause));
        }
    }

    /** Open file descriptors of the server process. */
    int fds() {
        Path dir = Path.of("/proc", Long.toString(pid()), "fd");
        String[] entries = dir.toFile().list();
        if (entries == null) {
            throw new ProcUnreadable(dir.toString(), null);
        }
        return entries.length;
    }

    /** Heap in use after two full collections, in KiB, from {@code jcmd GC.run} and {@code GC.heap_info}. */
    long heapUsedKib() throws IOException, InterruptedException {
        jcmd("GC.run");
        jcmd("GC.run");
        Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
        if (!m.find()) {
            throw new IOException("no 'used' figure in jcmd GC.heap_info");
        }
        return Long.parseLong(m.group(1));
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command)
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + command + " did not finish in 30 s");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * Relay ports the server holds: its own UDP sockets (socket inodes among {@code /proc/<pid>/fd}) whose local
     * port in {@code /proc/<pid>/net/udp} lies in the relay range. Exact, and blind to other processes that
     * happen to bind ports in the same range.
     */
    int relayPortsInUse() {
        Set<String> inodes = new HashSet<>();
        Path fdDir = Path.of("/proc", Long.toString(pid()), "fd");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
            int inUse = 0;
            for (String table : List.of("udp", "udp6")) {
                Path net = Path.of("/proc", Long.toString(pid()), "net", table);
                if (!Files.exists(net)) {
                    if (table.equals("udp6")) {
                        continue; // a kernel without IPv6; the soak's relay ports are IPv4
                    }
                    throw new ProcUnreadable(net.toString(), null);
                }
                for (String line : Files.readAllLines(net)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !f[1].contains(":") || !inodes.contains(f[9])) {
                        continue;
                    }
                    int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                    if (port >= relayPortMin && port <= relayPortMax) {
                        inUse++;
                    }
                }
            }
            return inUse;
        } catch (IOException | NumberFormatException e) {
            throw new ProcUnreadable("the server's relay ports in /proc/" + pid(), e);
        }
    }

    /** Lines of the server log that report Netty buffer leaks or errors. */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        for (String line : logText().split("\n")) {
            if (line.contains("LEAK:") || line.contains(" ERROR ") || line.contains("Exception")) {
                out.add(line);
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
