package dev.turnbridge.signaling.ws;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback that a test can freeze: what a phone on a dying network does to a connection.
 * Frozen connections stay open at both ends but carry nothing more in either direction (bytes are read and
 * thrown away, as if lost on the wire), so neither side sees a close. Connections accepted after the freeze
 * work normally. Threads are daemons; {@link #close()} ends everything.
 */
public final class FreezingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Link> links = new CopyOnWriteArrayList<>();

    private static final class Link {
        final Socket client;
        final Socket upstream;
        volatile boolean frozen;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }
    }

    public FreezingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "freezing-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Freezes every connection open now. */
    public void freeze() {
        for (Link link : links) {
            link.frozen = true;
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(target, 5000);
                Link link = new Link(client, upstream);
                links.add(link);
                pump(link, client, upstream, "up");
                pump(link, upstream, client, "down");
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void pump(Link link, Socket from, Socket to, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (!link.frozen) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
                if (!link.frozen) {
                    to.shutdownOutput();
                }
            } catch (IOException e) {
                // closed by the test or the peer
            }
        }, "freezing-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Link link : links) {
            link.client.close();
            link.upstream.close();
        }
    }
}
