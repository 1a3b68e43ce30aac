package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnbridge.config.RelaySettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelBufferCapsTest {
    private static RelaySettings buffers(int receive, int send) {
        return new RelaySettings("0.0.0.0", "::", "", 49152, 65535, false, true, receive, send);
    }

    @Test
    void readsTheCapsFromProc(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("rmem_max"), "212992\n");
        Files.writeString(dir.resolve("wmem_max"), "4194304\n");

        assertThat(KernelBufferCaps.read(dir)).isEqualTo(new KernelBufferCaps(212992, 4194304));
    }

    @Test
    void readsThisMachinesProcfs() throws Exception {
        Path rmem = KernelBufferCaps.PROC_NET_CORE.resolve("rmem_max");
        assumeTrue(Files.isReadable(rmem), "not Linux");
        String expected = new String(new ProcessBuilder("cat", rmem.toString()).start().getInputStream()
                .readAllBytes(), StandardCharsets.US_ASCII).trim();

        assertThat(KernelBufferCaps.read(KernelBufferCaps.PROC_NET_CORE).rmemMax()).isEqualTo(Long.parseLong(expected));
    }

    @Test
    void unreadableCapsAreUnknownAndClipNothing(@TempDir Path dir) {
        KernelBufferCaps caps = KernelBufferCaps.read(dir.resolve("missing"));

        assertThat(caps).isEqualTo(new KernelBufferCaps(-1, -1));
        assertThat(caps.clipped(buffers(64 << 20, 64 << 20))).isEmpty();
    }

    @Test
    void aSettingAboveItsCapIsReportedWithTheFix() {
        KernelBufferCaps caps = new KernelBufferCaps(212992, 212992);

        assertThat(caps.clipped(buffers(1048576, 0))).containsExactly(
                "relay.socket-receive-buffer 1048576 exceeds net.core.rmem_max 212992: relay sockets get 212992 "
                        + "bytes; raise it with sysctl -w net.core.rmem_max=1048576 (docs/deploy.md)");
        assertThat(caps.clipped(buffers(212992, 300000))).singleElement().asString()
                .startsWith("relay.socket-send-buffer 300000 exceeds net.core.wmem_max 212992");
        assertThat(caps.clipped(buffers(212992, 0))).as("at the cap, and the kernel default").isEmpty();
    }
}
