package dev.turnbridge.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** HTTP calls to the operations listener and a parsed Prometheus scrape, keyed by series. */
final class Scrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Map<String, Double> series;

    private Scrape(Map<String, Double> series) {
        this.series = series;
    }

    static HttpResponse<String> call(URI base, String method, String path, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Scrape metrics(URI base, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = call(base, "GET", "/metrics", token == null ? null : "Bearer " + token);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("scrape failed: HTTP " + r.statusCode());
        }
        Map<String, Double> series = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new Scrape(series);
    }

    /** The value of one series ({@code tags} as name, value pairs); fails when the series does not exist. */
    double get(String name, String... tags) {
        String key = key(name, tags);
        Double v = series.get(key);
        if (v == null) {
            throw new AssertionError("no series " + key);
        }
        return v;
    }

    /** How much a series grew since {@code before}. */
    double delta(Scrape before, String name, String... tags) {
        return get(name, tags) - before.get(name, tags);
    }

    boolean anyKeyContains(String text) {
        return series.keySet().stream().anyMatch(k -> k.contains(text));
    }

    private static String key(String name, String... tags) {
        if (tags.length == 0) {
            return name;
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        for (int i = 0; i < tags.length; i += 2) {
            sorted.put(tags[i], tags[i + 1]);
        }
        StringBuilder b = new StringBuilder(name).append('{');
        sorted.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }
}
