package dev.turnbridge.signaling.room;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One Lua script of this package's resources, run atomically by Redis: by its SHA-1 (EVALSHA), and by its text
 * when the server does not know it yet (a fresh or restarted Redis, another cluster node). In a cluster all
 * its keys must share one slot (the room's hash tag {@code {code}}).
 */
final class RedisScript {

    private final String text;
    private final String sha;
    private final ScriptOutputType output;

    private RedisScript(String text, ScriptOutputType output) {
        this.text = text;
        this.output = output;
        try {
            this.sha = HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    static RedisScript load(String name, ScriptOutputType output) {
        try (InputStream in = RedisScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the signaling jar");
            }
            return new RedisScript(new String(in.readAllBytes(), StandardCharsets.UTF_8), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <T> CompletionStage<T> run(RedisClusterAsyncCommands<String, String> redis, String[] keys, String... args) {
        CompletableFuture<T> result = new CompletableFuture<>();
        redis.<T>evalsha(sha, output, keys, args).whenComplete((value, error) -> {
            if (error instanceof RedisNoScriptException || (error != null && error.getMessage() != null
                    && error.getMessage().startsWith("NOSCRIPT"))) {
                redis.<T>eval(text, output, keys, args).whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(v);
                    }
                });
            } else if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        });
        return result;
    }
}
