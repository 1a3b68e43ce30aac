package dev.turnbridge.signaling.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnbridge.signaling.message.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test WebSocket client on the JDK's java.net.http.WebSocket; every wait is bounded. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {

    private static final long WAIT_SECONDS = 10;

    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final CompletableFuture<String> closeReason = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket ws;

    public static WsClient connect(URI uri, String origin) throws Exception {
        WsClient client = new WsClient();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(WAIT_SECONDS));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        client.ws = builder.buildAsync(uri, client).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return client;
    }

    public void send(String text) throws Exception {
        try {
            ws.sendText(text, true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // Name the server's close, which is what a failed send almost always follows.
            String by = closedBy();
            throw new IllegalStateException("send failed; " + (by != null ? "closed by the server: " + by
                    : "socket not closed by the server"), e);
        }
    }

    public void sendBinary(byte[] bytes) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The next message, failing after a few seconds. */
    public JsonNode next() throws InterruptedException {
        JsonNode m = messages.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(m).as("a message within %d s", WAIT_SECONDS).isNotNull();
        return m;
    }

    /** The next message, which must have this type. */
    public JsonNode next(String type) throws InterruptedException {
        JsonNode m = next();
        assertThat(m.path("type").asText()).as("type of %s", m).isEqualTo(type);
        return m;
    }

    /** The next message if one has arrived, else null. */
    public JsonNode poll() {
        return messages.poll();
    }

    /** The next message within {@code millis}, else null. */
    public JsonNode poll(long millis) throws InterruptedException {
        return messages.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Asserts an error message with this code. */
    public JsonNode error(String code) throws InterruptedException {
        JsonNode m = next("error");
        assertThat(m.get("code").asText()).as("%s", m).isEqualTo(code);
        return m;
    }

    public void expectNothingFor(Duration d) throws InterruptedException {
        JsonNode m = messages.poll(d.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("no message").isNull();
    }

    /** The close code the server sent, waiting a few seconds. */
    public int closeCode() throws Exception {
        return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The close code and reason if the server has closed this connection, else null. */
    public String closedBy() {
        return closeReason.getNow(null);
    }

    /** Drops the TCP connection without a close frame (a lost network). */
    public void abort() {
        ws.abort();
    }

    /** A clean close (a closing tab). */
    @Override
    public void close() throws Exception {
        if (!ws.isOutputClosed()) {
            ws.sendClose(1000, "bye").get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                messages.add(Json.MAPPER.readTree(partial.toString()));
            } catch (Exception e) {
                messages.add(Json.object().put("type", "client-error").put("text", partial.toString()));
            }
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        closeReason.complete(statusCode + " " + reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
        closeReason.complete("error " + error);
    }
}
