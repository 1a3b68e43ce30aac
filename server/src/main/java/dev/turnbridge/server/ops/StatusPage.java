package dev.turnbridge.server.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnbridge.relay.allocation.AllocationInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A small self-refreshing HTML page for someone without Grafana: readiness, live allocations, rooms and
 * throughput. It shows no usernames, client addresses or full room codes (the page may be open to anyone who
 * can reach the metrics listener); the admin API has those.
 */
final class StatusPage {
    private static final int MAX_ROWS = 200;

    private StatusPage() {
    }

    record Status(String notReady, boolean draining, List<AllocationInfo> allocations, int portsUsed,
            int portsCapacity, long permissions, long channels, Throughput.Rates rates, boolean signaling,
            int connections, List<SignalingOps.RoomSummary> rooms, List<TopRoom> topRooms,
            SignalingOps.CallFigures calls, Instant now, String accessWarning, CertificateStatus certificate) {
    }

    /** A room with live allocations and what it relayed; {@code code} is shown masked. */
    record TopRoom(String code, long relayedBytes, long budgetDropped) {
    }

    /** How many rooms the page lists by relayed bytes. */
    static final int TOP_ROOMS = 10;

    static ObjectNode json(ObjectMapper mapper, Status s) {
        ObjectNode root = mapper.createObjectNode();
        root.put("ready", s.notReady() == null);
        if (s.notReady() != null) {
            root.put("notReady", s.notReady());
        }
        root.put("draining", s.draining());
        root.put("allocations", s.allocations().size());
        root.put("portsUsed", s.portsUsed());
        root.put("portsFree", s.portsCapacity() - s.portsUsed());
        root.put("permissions", s.permissions());
        root.put("channels", s.channels());
        ObjectNode rates = root.putObject("throughput");
        rates.put("bitsPerSecondToPeer", Math.round(s.rates().bitsToPeer()));
        rates.put("bitsPerSecondToClient", Math.round(s.rates().bitsToClient()));
        rates.put("packetsPerSecondToPeer", Math.round(s.rates().packetsToPeer()));
        rates.put("packetsPerSecondToClient", Math.round(s.rates().packetsToClient()));
        root.put("signaling", s.signaling());
        if (s.accessWarning() != null) {
            root.put("accessWarning", s.accessWarning());
        }
        root.put("connections", s.connections());
        SignalingOps.CallFigures c = s.calls();
        root.putObject("callsLastHour").put("calls", c.calls()).put("connected", c.connected())
                .put("relayed", c.relayed()).put("connectMillisMean", c.connectMillisMean());
        ArrayNode rooms = root.putArray("rooms");
        for (SignalingOps.RoomSummary r : s.rooms()) {
            rooms.addObject().put("code", mask(r.code())).put("members", r.members()).put("capacity", r.capacity())
                    .put("ageSeconds", Duration.between(r.createdAt(), s.now()).toSeconds());
        }
        CertificateStatus cert = s.certificate();
        if (cert != null) {
            ObjectNode tls = root.putObject("certificate");
            cert.names().forEach(tls.putArray("names")::add);
            tls.put("notAfter", cert.notAfter().toString()).put("source", cert.source());
            if (cert.problem() != null) {
                tls.put("problem", cert.problem());
            }
        }
        ArrayNode top = root.putArray("topRoomsByRelayedBytes");
        for (TopRoom r : s.topRooms()) {
            top.addObject().put("code", mask(r.code())).put("relayedBytes", r.relayedBytes())
                    .put("budgetDropped", r.budgetDropped());
        }
        return root;
    }

    static String html(Status s) {
        StringBuilder b = new StringBuilder(4096);
        b.append("<!doctype html><html lang=en><head><meta charset=utf-8>")
                .append("<meta http-equiv=refresh content=5><title>turnbridge status</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0 1.5em}")
                .append("td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}")
                .append("th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
                .append(".ok{color:#070}.bad{color:#b00}</style></head><body><h1>turnbridge</h1><p>");
        if (s.notReady() == null) {
            b.append("<span class=ok>ready</span>");
        } else {
            b.append("<span class=bad>not ready: ").append(escape(s.notReady())).append("</span>");
        }
        b.append(" &middot; updated ").append(escape(s.now().toString())).append(" (refreshes every 5 s)</p>");
        if (s.accessWarning() != null) {
            b.append("<p class=bad><strong>Warning:</strong> ").append(escape(s.accessWarning())).append("</p>");
        }

        b.append("<h2>Relay</h2><table><tr><th>allocations</th><th>permissions</th><th>channels</th>")
                .append("<th>relay ports used</th><th>relay ports free</th><th>to peers</th><th>to clients</th></tr>")
                .append("<tr><td>").append(s.allocations().size())
                .append("</td><td>").append(s.permissions())
                .append("</td><td>").append(s.channels())
                .append("</td><td>").append(s.portsUsed())
                .append("</td><td>").append(s.portsCapacity() - s.portsUsed())
                .append("</td><td>").append(bits(s.rates().bitsToPeer())).append(" &middot; ")
                .append(Math.round(s.rates().packetsToPeer())).append(" pkt/s")
                .append("</td><td>").append(bits(s.rates().bitsToClient())).append(" &middot; ")
                .append(Math.round(s.rates().packetsToClient())).append(" pkt/s")
                .append("</td></tr></table>");

        CertificateStatus cert = s.certificate();
        if (cert != null) {
            long days = Duration.between(s.now(), cert.notAfter()).toDays();
            b.append("<h2>TLS certificate</h2><table><tr><th>names</th><th>expires</th><th>source</th></tr>")
                    .append("<tr><td>").append(escape(cert.names().isEmpty() ? "-" : String.join(", ", cert.names())))
                    .append("</td><td").append(days < 14 ? " class=bad>" : ">")
                    .append(escape(cert.notAfter().toString())).append(" (").append(days).append(" days)")
                    .append("</td><td>").append(escape(cert.source())).append("</td></tr></table>");
            if (cert.problem() != null) {
                b.append("<p class=bad>last ACME order failed: ").append(escape(cert.problem())).append("</p>");
            }
        }

        if (!s.topRooms().isEmpty()) {
            b.append("<h2>Top rooms by relayed bytes</h2><table><tr><th>room</th><th>relayed</th>")
                    .append("<th>dropped over budget</th></tr>");
            for (TopRoom r : s.topRooms()) {
                b.append("<tr><td>").append(escape(mask(r.code())))
                        .append("</td><td>").append(bytes(r.relayedBytes()))
                        .append("</td><td>").append(r.budgetDropped()).append(" datagrams</td></tr>");
            }
            b.append("</table>");
        }

                b.append("<h2>Allocations</h2>");
        if (s.allocations().isEmpty()) {
            b.append("<p>none</p>");
        } else {
            b.append("<table><tr><th>relayed address</th><th>transport</th><th>age</th><th>expires in</th>")
                    .append("<th>permissions</th><th>channels</th><th>to peers</th><th>to client</th></tr>");
            long now = s.now().toEpochMilli();
            s.allocations().stream()
                    .sorted(Comparator.comparingLong(AllocationInfo::createdAtMillis))
                    .limit(MAX_ROWS)
                    .forEach(a -> b.append("<tr><td>")
                            .append(escape(a.relayed().getAddress().getHostAddress() + ":" + a.relayed().getPort()))
                            .append("</td><td>").append(a.transport().name().toLowerCase(Locale.ROOT)).append('/')
                            .append(a.family())
                            .append("</td><td>").append(seconds(now - a.createdAtMillis()))
                            .append("</td><td>").append(seconds(a.expiresAtMillis() - now))
                            .append("</td><td>").append(a.permissions())
                            .append("</td><td>").append(a.channels())
                            .append("</td><td>").append(bytes(a.bytesToPeer()))
                            .append("</td><td>").append(bytes(a.bytesToClient()))
                            .append("</td></tr>"));
            b.append("</table>");
            if (s.allocations().size() > MAX_ROWS) {
                b.append("<p>first ").append(MAX_ROWS).append(" of ").append(s.allocations().size()).append("</p>");
            }
        }

        SignalingOps.CallFigures c = s.calls();
        b.append("<h2>Calls in the last hour</h2>");
        if (c.calls() == 0) {
            b.append("<p>none reported</p>");
        } else {
            b.append("<table><tr><th>calls</th><th>connected</th><th>relayed</th><th>mean time to connect</th></tr>")
                    .append("<tr><td>").append(c.calls())
                    .append("</td><td>").append(c.connected()).append(" (").append(percent(c.connected(), c.calls()))
                    .append(")</td><td>").append(c.relayed()).append(" (").append(percent(c.relayed(), c.connected()))
                    .append(" of connected)</td><td>")
                    .append(c.connectMillisMean() < 0 ? "-" : c.connectMillisMean() + " ms")
                    .append("</td></tr></table>");
        }

        b.append("<h2>Rooms</h2>");
        if (!s.signaling()) {
            b.append("<p>signaling is not running in this process</p>");
        } else if (s.rooms().isEmpty()) {
            b.append("<p>none &middot; ").append(s.connections()).append(" WebSocket connection(s)</p>");
        } else {
            b.append("<p>").append(s.rooms().size()).append(" room(s) &middot; ").append(s.connections())
                    .append(" WebSocket connection(s)</p>");
            b.append("<table><tr><th>room</th><th>members</th><th>capacity</th><th>age</th></tr>");
            for (SignalingOps.RoomSummary r : s.rooms()) {
                b.append("<tr><td>").append(escape(mask(r.code())))
                        .append("</td><td>").append(r.members())
                        .append("</td><td>").append(r.capacity())
                        .append("</td><td>").append(seconds(Duration.between(r.createdAt(), s.now()).toMillis()))
                        .append("</td></tr>");
            }
            b.append("</table>");
        }
        return b.append("<p>Metrics: <code>/metrics</code> &middot; health: <code>/healthz</code>, ")
                .append("<code>/readyz</code></p></body></html>\n").toString();
    }

    /** Enough of a room code to tell rooms apart, not enough to join one. */
    static String mask(String code) {
        return code.length() <= 2 ? "••" : code.substring(0, 2) + "••••";
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.0f %%", 100.0 * part / whole);
    }

    private static String seconds(long millis) {
        long s = Math.max(0, millis / 1000);
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s / 3600 + " h";
    }

    private static String bits(double bps) {
        return bps >= 1e6 ? String.format(Locale.ROOT, "%.1f Mbit/s", bps / 1e6)
                : String.format(Locale.ROOT, "%.1f kbit/s", bps / 1e3);
    }

    private static String bytes(long n) {
        return n >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0)
                : n >= 1 << 10 ? String.format(Locale.ROOT, "%.1f KiB", n / 1024.0) : n + " B";
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
