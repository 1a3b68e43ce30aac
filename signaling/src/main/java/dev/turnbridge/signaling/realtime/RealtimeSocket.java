package dev.turnbridge.signaling.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.turnbridge.signaling.access.AccessMode;
import dev.turnbridge.signaling.access.AuthResult;
import dev.turnbridge.signaling.access.Identity;
import dev.turnbridge.signaling.access.Refusal;
import dev.turnbridge.signaling.limit.TokenBucket;
import dev.turnbridge.signaling.message.ClientMessage;
import dev.turnbridge.signaling.message.Json;
import dev.turnbridge.signaling.session.CloseCodes;
import dev.turnbridge.signaling.session.Connection;
import dev.turnbridge.signaling.session.SignalingHub;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One Realtime WebSocket: the Phoenix channel state machine. Each joined topic is one {@link RealtimeChannel},
 * a member of one of our rooms through the hub. Heartbeats ({@code phoenix} topic) are answered here; limits
 * (message rate, channels per socket, presence size, token expiry) are enforced here with Supabase-like reasons.
 * Everything but {@link #send} runs on the socket's own thread.
 */
public final class RealtimeSocket {

    static final String TOPIC_PREFIX = "realtime:";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RealtimeGateway gateway;
    private final SocketSink sink;
    private final Vsn vsn;
    private final String hostHeader;
    private final InetAddress remote;
    private final TokenBucket bucket;
    private final Map<String, RealtimeChannel> channels = new HashMap<>();
    private boolean closed;

    RealtimeSocket(RealtimeGateway gateway, SocketSink sink, Vsn vsn, String hostHeader, InetAddress remote) {
        this.gateway = gateway;
        this.sink = sink;
        this.vsn = vsn;
        this.hostHeader = hostHeader;
        this.remote = remote;
        this.bucket = new TokenBucket(gateway.clock(), gateway.signaling().messageRate(),
                gateway.signaling().messageBurst());
    }

    public Vsn vsn() {
        return vsn;
    }

    /** Channels joined or joining. */
    public int channelCount() {
        return channels.size();
    }

    /** A frame that did not decode: an error reply when it named a topic and ref, else nothing. */
    public void bad(BadFrame bad) {
        PhoenixMessage m = bad.partial();
        if (m != null && m.ref() != null) {
            send(m.error("BadMessage: " + bad.getMessage()));
        }
    }

    /** A frame larger than {@code max-message-size}. */
    public void tooLarge(PhoenixMessage partial, int max) {
        if (partial != null && partial.ref() != null) {
            send(partial.error("PayloadTooLarge: message larger than " + max + " bytes"));
        }
    }

    public void receive(PhoenixMessage m) {
        if (closed) {
            return;
        }
        if (!bucket.tryTake()) {
            if (m.ref() != null) {
                send(m.error("RateLimitReached: Too many messages per second"));
            }
            return;
        }
        expireTokens();
        if (PhoenixMessage.PHOENIX.equals(m.topic())) {
            if (PhoenixMessage.HEARTBEAT.equals(m.event())) {
                send(m.ok(null));
            } else {
                send(m.error("unmatched topic"));
            }
            return;
        }
        if (PhoenixMessage.PHX_JOIN.equals(m.event())) {
            join(m);
            return;
        }
        RealtimeChannel channel = channels.get(m.topic());
        if (channel == null || !channel.joined()) {
            send(m.error("unmatched topic"));
            return;
        }
        switch (m.event()) {
            case PhoenixMessage.PHX_LEAVE -> leave(channel, m);
            case PhoenixMessage.BROADCAST -> broadcast(channel, m);
            case PhoenixMessage.PRESENCE -> presence(channel, m);
            case PhoenixMessage.ACCESS_TOKEN -> accessToken(channel, m);
            default -> send(m.error("BadMessage: unknown event " + m.event()));
        }
    }

    /** The WebSocket is gone: every channel leaves its room at once (a closed tab's leave is seen right away). */
    public void closed() {
        closed = true;
        for (RealtimeChannel channel : List.copyOf(channels.values())) {
            drop(channel);
        }
    }

    private void join(PhoenixMessage m) {
        if (!m.topic().startsWith(TOPIC_PREFIX)) {
            send(m.error("unmatched topic"));
            return;
        }
        RealtimeChannel old = channels.get(m.topic());
        if (old != null) {
            drop(old); // a rejoin of the same topic (the client's retry): Phoenix replaces the old channel
        }
        String name = RealtimeGateway.roomName(m.topic().substring(TOPIC_PREFIX.length()));
        if (name == null) {
            send(m.error("BadMessage: topics are room:<name>; this server has rooms, not Postgres changes"));
            return;
        }
        if (channels.size() >= gateway.settings().maxChannelsPerSocket()) {
            send(m.error("ChannelRateLimitReached: Too many channels"));
            return;
        }
        if (m.joinRef() == null && m.ref() == null) {
            return; // nothing to reply to: not a client we can serve
        }
        JsonNode config = m.payload().path("config");
        boolean privateChannel = config.path("private").asBoolean(false);
        RealtimeChannel channel = new RealtimeChannel(this, m.topic(), m.joinRef() != null ? m.joinRef() : m.ref());
        channels.put(m.topic(), channel);
        String token = gateway.userToken(textOf(m.payload().get("access_token")));
        authenticate(token, auth -> {
            if (channels.get(m.topic()) != channel || closed) {
                return;
            }
            Identity identity = null;
            if (auth != null && !auth.isOk()) {
                refuse(channel, m, auth.refusal() == Refusal.EXPIRED ? "InvalidJWTToken: Token has expired"
                        : "InvalidJWTToken: " + auth.message());
                return;
            }
            if (auth != null) {
                identity = auth.identity();
            } else if (gateway.access().mode() == AccessMode.OPEN) {
                identity = Identity.anonymous();
            }
            if (privateChannel && (identity == null || identity.subject() == null)
                    && gateway.access().mode() != AccessMode.OPEN) {
                refuse(channel, m, "Unauthorized: You do not have permissions to read from this Channel topic: "
                        + channel.subTopic);
                return;
            }
            if (identity == null) {
                refuse(channel, m, "Unauthorized: sign in first (access_token: a user's JWT)");
                return;
            }
            RealtimeGateway.Target target = gateway.resolve(name, identity, privateChannel);
            if (target.refusal() != null) {
                refuse(channel, m, target.refusal());
                return;
            }
            channel.validUntil = identity.validUntil();
            channel.subject = identity.subject();
            ObjectNode meta = Json.object();
            ObjectNode mark = meta.putObject(RealtimeChannel.MARK);
            channel.presenceKey = config.path("presence").path("key").asText("");
            mark.put("key", channel.presenceKey);
            mark.put("tracked", false);
            channel.connection = hub().open(channel, hostHeader, identity, remote);
            hub().handle(channel.connection, new ClientMessage.Join(new TextNode(channel.joinRef), target.code(),
                    meta, config.path("broadcast").path("self").asBoolean(false),
                    config.path("broadcast").path("ack").asBoolean(false)));
        });
    }

    private void refuse(RealtimeChannel channel, PhoenixMessage join, String reason) {
        channel.end();
        channels.remove(channel.topic, channel);
        send(join.error(reason));
    }

    private void leave(RealtimeChannel channel, PhoenixMessage m) {
        hub().handle(channel.connection, new ClientMessage.Leave(new TextNode(m.ref() == null ? "" : m.ref())));
        drop(channel);
    }

    private void broadcast(RealtimeChannel channel, PhoenixMessage m) {
        JsonNode event = m.payload().get("event");
        if (event == null || !event.isTextual() || event.asText().isEmpty()) {
            send(m.error("BadMessage: a broadcast needs an event"));
            return;
        }
        ObjectNode payload = Json.object();
        payload.put("event", event.asText());
        payload.set("payload", m.payload().has("payload") ? m.payload().get("payload") : Json.object());
        hub().handle(channel.connection, new ClientMessage.Signal(m.ref() == null ? null : new TextNode(m.ref()),
                null, payload));
    }

    private void presence(RealtimeChannel channel, PhoenixMessage m) {
        String event = m.payload().path("event").asText();
        ObjectNode meta;
        if ("track".equals(event)) {
            JsonNode payload = m.payload().get("payload");
            if (payload == null || !payload.isObject()) {
                send(m.error("BadMessage: track needs an object"));
                return;
            }
            int size = Json.write(payload).getBytes(StandardCharsets.UTF_8).length;
            if (size > gateway.settings().maxPresenceSize()) {
                send(m.error("PresencePayloadTooLarge: presence payload of " + size + " bytes, at most "
                        + gateway.settings().maxPresenceSize()));
                return;
            }
            meta = ((ObjectNode) payload).deepCopy();
            meta.remove(RealtimeChannel.MARK);
            ObjectNode mark = meta.putObject(RealtimeChannel.MARK);
            mark.put("key", keyOf(channel));
            mark.put("tracked", true);
            byte[] ref = new byte[9];
            RANDOM.nextBytes(ref);
            mark.put("ref", Base64.getUrlEncoder().withoutPadding().encodeToString(ref));
        } else if ("untrack".equals(event)) {
            meta = Json.object();
            ObjectNode mark = meta.putObject(RealtimeChannel.MARK);
            mark.put("key", keyOf(channel));
            mark.put("tracked", false);
        } else {
            send(m.error("BadMessage: presence events are track and untrack"));
            return;
        }
        if (hub().track(channel.connection, meta)) {
            send(m.ok(null));
        } else {
            send(m.error("RoomExpired: the room has ended"));
        }
    }

    private String keyOf(RealtimeChannel channel) {
        // The key asked for at join; empty: the member's peer id (the hub's presence key).
        return channel.presenceKey;
    }

    /** A fresh token for a joined channel: it must be valid and name the same user. */
    private void accessToken(RealtimeChannel channel, PhoenixMessage m) {
        String token = gateway.userToken(textOf(m.payload().get("access_token")));
        if (token == null) {
            send(m.ok(null)); // the anon key: nothing changes for a member that joined signed in or not
            return;
        }
        authenticate(token, auth -> {
            if (channels.get(channel.topic) != channel) {
                return;
            }
            if (!auth.isOk() || (channel.subject != null && !channel.subject.equals(auth.identity().subject()))) {
                String reason = !auth.isOk() ? (auth.refusal() == Refusal.EXPIRED
                        ? "InvalidJWTToken: Token has expired" : "InvalidJWTToken: " + auth.message())
                        : "Unauthorized: the token names another user";
                send(m.error(reason));
                channel.system(reason);
                drop(channel);
                return;
            }
            channel.validUntil = auth.identity().validUntil();
            send(m.ok(null));
        });
    }

    /** Channels whose user's token expired without a fresh one are closed, as Supabase does. */
    private void expireTokens() {
        Instant now = gateway.clock().instant();
        for (RealtimeChannel channel : List.copyOf(channels.values())) {
            Instant until = channel.validUntil;
            if (channel.joined() && until != null && !now.isBefore(until)) {
                channel.system("InvalidJWTToken: Token has expired");
                drop(channel);
            }
        }
    }

    /** Runs {@code then} on this socket's thread with the verified token (null: there was none). */
    private void authenticate(String token, java.util.function.Consumer<AuthResult> then) {
        if (token == null) {
            then.accept(null);
            return;
        }
        CompletableFuture<AuthResult> result = gateway.access().authenticate(token);
        if (result.isDone()) {
            then.accept(outcome(result));
        } else {
            result.whenComplete((r, e) -> sink.execute(() -> then.accept(outcome(result))));
        }
    }

    private static AuthResult outcome(CompletableFuture<AuthResult> result) {
        AuthResult r = result.isCompletedExceptionally() ? null : result.join();
        return r != null ? r : AuthResult.refused(Refusal.KEYS_UNAVAILABLE);
    }

    /** The channel leaves its room now, seen by the others as a leave. */
    private void drop(RealtimeChannel channel) {
        channel.end();
        channels.remove(channel.topic, channel);
        if (channel.connection != null) {
            hub().closed(channel.connection, true);
        }
    }

    /** The hub refused a join or ended the channel (under its lock): leave it afterwards, on this thread. */
    void refused(RealtimeChannel channel) {
        sink.execute(() -> drop(channel));
    }

    /** The hub closed a channel's connection (draining, stopping, replaced, idle). */
    void hubClosed(RealtimeChannel channel, int code, String reason) {
        if (RealtimeChannel.endsSocket(code)) {
            sink.close(code, reason);
            return;
        }
        sink.execute(() -> {
            if (channels.get(channel.topic) == channel) {
                send(PhoenixMessage.push(channel.joinRef, channel.topic, PhoenixMessage.PHX_ERROR, Json.object()));
                drop(channel);
            }
        });
    }

    void send(PhoenixMessage m) {
        sink.send(vsn.encode(m));
    }

    private SignalingHub hub() {
        return gateway.hub();
    }

    private static String textOf(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    /** Closes the socket as the server's side of a heartbeat timeout or an abuse. */
    public void close(String reason) {
        sink.close(CloseCodes.NORMAL, reason);
    }
}
