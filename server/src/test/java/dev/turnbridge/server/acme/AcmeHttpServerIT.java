package dev.turnbridge.server.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.HostPort;
import dev.turnbridge.relay.transport.NettyTransport;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The plain-HTTP listener's limits over real loopback sockets: connections per address, silence. */
class AcmeHttpServerIT {
    private final NettyTransport transport = NettyTransport.create(1, "acme-http-it", true);
    private final List<Socket> sockets = new ArrayList<>();
    private AcmeHttpServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        transport.shutdown();
    }

    private InetSocketAddress start(long idleMillis) {
        server = new AcmeHttpServer(idleMillis);
        return server.start(List.of(new HostPort("127.0.0.1", 0)), new Http01Tokens(), List.of("turn.example.org"),
                443, transport.group(), transport.serverChannel()).get(0);
    }

    private Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.connect(address, 5000);
        s.setSoTimeout(5000);
        sockets.add(s);
        return s;
    }

    /** True when the server closed the connection (end of stream or reset) before the read timeout. */
    private static boolean closedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void oneAddressGetsSixteenConnectionsAndTheNextIsClosed() throws Exception {
        InetSocketAddress address = start(60_000);
        List<Socket> open = new ArrayList<>();
        for (int i = 0; i < AcmeHttpServer.CONNECTIONS_PER_ADDRESS; i++) {
            open.add(connect(address));
        }
        // the 16 are accepted and answered
        Socket last = open.get(open.size() - 1);
        last.getOutputStream().write("GET / HTTP/1.1\r\nHost: turn.example.org\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(last.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                .startsWith("HTTP/1.1 301");

        // 15 still open: one more fits, the one after that does not
        connect(address);
        Socket over = connect(address);
        over.setSoTimeout(2000);
        assertThat(closedByServer(over)).as("17th connection closed").isTrue();
        Socket stillOpen = open.get(0);
        stillOpen.setSoTimeout(300);
        assertThat(closedByServer(stillOpen)).as("the admitted ones stay").isFalse();
    }

    @Test
    void aSilentConnectionIsClosed() throws Exception {
        InetSocketAddress address = start(500);
        Socket silent = connect(address);

        assertThat(closedByServer(silent)).isTrue();
    }
}
