package dev.turnbridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A 3-master Redis Cluster of a test's own ({@code redis-cli --cluster create ... --cluster-replicas 0}), on
 * free loopback ports, each node in its own temp directory. Every node is stopped by its PID on
 * {@link #close()} (and by the nodes' shutdown hooks should the run die first).
 */
public final class RedisCluster implements AutoCloseable {

    private final List<RedisProcess> nodes;

    private RedisCluster(List<RedisProcess> nodes) {
        this.nodes = nodes;
    }

    public static RedisCluster start() throws IOException, InterruptedException {
        List<RedisProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(RedisProcess.clusterNode());
            }
            List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisProcess node : nodes) {
                command.add("127.0.0.1:" + node.port());
            }
            command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process create = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                create.destroyForcibly();
                throw new IOException("redis-cli --cluster create failed: " + output);
            }
            awaitOk(nodes);
            return new RedisCluster(List.copyOf(nodes));
        } catch (IOException | InterruptedException | RuntimeException e) {
            nodes.forEach(RedisProcess::close);
            throw e;
        }
    }

    private static void awaitOk(List<RedisProcess> nodes) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisProcess node : nodes) {
            while (!node.command("CLUSTER", "INFO").contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("cluster not ok: " + node.command("CLUSTER", "INFO"));
                }
                RedisProcess.sleep(50);
            }
        }
    }

    public List<RedisProcess> nodes() {
        return nodes;
    }

    /** Seed URIs, one per node, comma separated ({@code redis://127.0.0.1:P1,redis://127.0.0.1:P2,...}). */
    public String uris() {
        return String.join(",", nodes.stream().map(RedisProcess::uri).toList());
    }

    @Override
    public void close() {
        nodes.forEach(RedisProcess::close);
    }
}
