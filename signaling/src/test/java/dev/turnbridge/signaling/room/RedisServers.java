package dev.turnbridge.signaling.room;

import dev.turnbridge.config.RedisSettings;
import dev.turnbridge.config.Secret;
import dev.turnbridge.testing.RedisCluster;
import dev.turnbridge.testing.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * The Redis servers the registry and fan-out tests share: a standalone one and a 3-master cluster, each started
 * on first use and stopped by the shutdown hooks of {@link RedisProcess} (a cluster takes seconds to form, so
 * once per test JVM). Tests keep apart by key prefix.
 */
final class RedisServers {

    private static RedisProcess standalone;
    private static RedisCluster cluster;

    private RedisServers() {
    }

    /** The modes a parameterized test runs in. */
    static Stream<String> modes() {
        return Stream.of("standalone", "cluster");
    }

    /** Settings for one node in {@code mode} ("standalone" or "cluster"). */
    static synchronized RedisSettings settings(String mode, String prefix, Duration presenceLease) {
        boolean isCluster = mode.equals("cluster");
        try {
            if (isCluster && cluster == null) {
                cluster = RedisCluster.start();
            } else if (!isCluster && standalone == null) {
                standalone = RedisProcess.standalone();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new RedisSettings(isCluster ? cluster.uris() : standalone.uri(), new Secret(""), isCluster, prefix,
                presenceLease, Duration.ofSeconds(2));
    }
}
