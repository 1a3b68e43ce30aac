package dev.turnbridge.signaling.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The demo page and the JS client, read once from the classpath ({@code web/}). Only the files named here are
 * served, so no request path ever reaches the class loader.
 */
public final class StaticFiles {

    /** A file's bytes and Content-Type. */
    public record File(byte[] bytes, String contentType) {
    }

    private static final String JS = "text/javascript; charset=utf-8";
    private final Map<String, File> files = new HashMap<>();

    public StaticFiles() {
        add("/", "index.html", "text/html; charset=utf-8");
        add("/index.html", "index.html", "text/html; charset=utf-8");
        add("/signaling.js", "signaling.js", JS);
        add("/demo.js", "demo.js", JS);
    }

    public Optional<File> get(String path) {
        return Optional.ofNullable(files.get(path));
    }

    private void add(String path, String resource, String contentType) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/web/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource web/" + resource);
            }
            files.put(path, new File(in.readAllBytes(), contentType));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
