package dev.turnbridge.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A socket's buffers as the kernel keeps them, read with {@code ss -m} (iproute2): {@code rb} and {@code tb} of
 * its {@code skmem}. The kernel doubles what SO_RCVBUF/SO_SNDBUF ask for (its bookkeeping), up to twice
 * {@code net.core.rmem_max}/{@code wmem_max}.
 */
record SocketMemory(long receiveBuffer, long sendBuffer) {
    private static final Pattern SKMEM = Pattern.compile("rb(\\d+),t\\d+,tb(\\d+)");

    /** The first socket {@code ss -{udp|tcp} -amnH} lists with local port {@code port}. */
    static SocketMemory of(boolean udp, int port) throws Exception {
        Process ss = new ProcessBuilder(List.of("ss", udp ? "-uamnH" : "-tamnH", "sport = :" + port))
                .redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Matcher m = SKMEM.matcher(out);
        assertThat(m.find()).as("ss output for port %d: %s", port, out).isTrue();
        return new SocketMemory(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
    }
}
