package dev.turnbridge.relay.transport;

import dev.turnbridge.config.RelaySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Linux's caps on the socket buffers an unprivileged process may ask for ({@code net.core.rmem_max},
 * {@code net.core.wmem_max}): a larger SO_RCVBUF or SO_SNDBUF is cut to them without an error, so the relay
 * says so at start. Read only, never written: raising them is the operator's call (docs/deploy.md).
 *
 * @param rmemMax the receive cap in bytes, or -1 where unknown (not Linux)
 * @param wmemMax the send cap in bytes, or -1 where unknown
 */
record KernelBufferCaps(long rmemMax, long wmemMax) {
    static final Path PROC_NET_CORE = Path.of("/proc/sys/net/core");

    static KernelBufferCaps read(Path netCore) {
        return new KernelBufferCaps(number(netCore.resolve("rmem_max")), number(netCore.resolve("wmem_max")));
    }

    private static long number(Path file) {
        try {
            // line by line: Files.readString trusts procfs's reported size and returns one byte of "4194304"
            return Long.parseLong(Files.readAllLines(file).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** One line per relay socket buffer setting the kernel cuts short; empty when all fit. */
    List<String> clipped(RelaySettings relay) {
        List<String> out = new ArrayList<>();
        check(out, "relay.socket-receive-buffer", relay.socketReceiveBuffer(), "net.core.rmem_max", rmemMax);
        check(out, "relay.socket-send-buffer", relay.socketSendBuffer(), "net.core.wmem_max", wmemMax);
        return out;
    }

    private static void check(List<String> out, String setting, int bytes, String sysctl, long cap) {
        if (cap >= 0 && bytes > cap) {
            out.add(setting + " " + bytes + " exceeds " + sysctl + " " + cap + ": relay sockets get " + cap
                    + " bytes; raise it with sysctl -w " + sysctl + "=" + bytes + " (docs/deploy.md)");
        }
    }
}
