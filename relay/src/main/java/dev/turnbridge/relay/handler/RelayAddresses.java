package dev.turnbridge.relay.handler;

import dev.turnbridge.config.RelaySettings;
import dev.turnbridge.relay.allocation.FiveTuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Which local address relay sockets bind to and which address XOR-RELAYED-ADDRESS advertises: the
 * configured external address (1:1 NAT), else a specific bind address, else the address the client reached,
 * else the local address the kernel would use to reach the client.
 */
final class RelayAddresses {
    private final InetAddress bind;
    private final InetAddress external;

    RelayAddresses(RelaySettings settings) {
        this.bind = literal(settings.address());
        this.external = settings.externalAddress() == null || settings.externalAddress().isEmpty()
                ? null : literal(settings.externalAddress());
    }

    InetAddress bindAddress() {
        return bind;
    }

    InetAddress advertised(FiveTuple fiveTuple) {
        if (external != null) {
            return external;
        }
        if (!bind.isAnyLocalAddress()) {
            return bind;
        }
        InetAddress reached = fiveTuple.server().getAddress();
        if (!reached.isAnyLocalAddress()) {
            return reached;
        }
        // connect() on a datagram socket only consults the routing table; nothing is sent
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(fiveTuple.client());
            return probe.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InetAddress literal(String ip) {
        try {
            // settings validation guarantees an IP literal, so this performs no name lookup
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal: " + ip, e);
        }
    }
}
