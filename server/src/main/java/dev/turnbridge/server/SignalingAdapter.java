package dev.turnbridge.server;

import dev.turnbridge.server.ops.SignalingOps;
import dev.turnbridge.signaling.SignalingServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;

/** Adapts the signaling module to what operations need; attached once signaling has started. */
final class SignalingAdapter implements SignalingOps {
    private volatile SignalingServer server;

    void attach(SignalingServer server) {
        this.server = server;
    }

    @Override
    public boolean available() {
        return server != null;
    }

    @Override
    public List<RoomSummary> rooms() {
        return List.of();
    }

    @Override
    public boolean closeRoom(String code) {
        return false;
    }

    @Override
    public void drain() {
    }

    @Override
    public MeterBinder metrics() {
        return registry -> {
            SignalingServer s = server;
            if (s == null) {
                return;
            }
            Gauge.builder("turnbridge.signaling.rooms.active", s, x -> x.rooms().size())
                    .description("live rooms").register(registry);
        };
    }
}
