package dev.turnbridge.relay.stun;

import dev.turnbridge.relay.auth.LongTermKey;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode and encode of the messages of an allocation's life: an authenticated Allocate request, its success
 * response, a ChannelBind request and a Binding request. Not part of the test run: built and run only with
 * the {@code bench} profile, {@code mvn -B -ntp -pl relay -am -Pbench test -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false} (arguments for JMH in {@code -Djmh.args="..."}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StunCodecBenchmark {
    private static final String SOFTWARE = "turnbridge";
    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.10", 50000);
    private static final InetSocketAddress RELAYED = new InetSocketAddress("198.51.100.1", 49152);
    private static final InetSocketAddress PEER = new InetSocketAddress("203.0.113.5", 40000);

    private byte[] key;
    private byte[] allocate;
    private byte[] channelBind;
    private byte[] binding;
    private StunMessage allocateRequest;

    @Setup
    public void setUp() throws StunParseException {
        String username = "1767225600:alice";
        key = LongTermKey.derive(username, "turnbridge.test", "password");
        byte[] tid = new byte[12];
        tid[11] = 1;
        allocate = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, tid)
                .requestedTransport(17).lifetime(600).username(username).realm("turnbridge.test")
                .nonce("obMatJos2gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").encode(null, key);
        channelBind = StunMessageBuilder.of(StunMethod.CHANNEL_BIND, StunClass.REQUEST, tid)
                .channelNumber(0x4000).xorPeerAddress(PEER).username(username).realm("turnbridge.test")
                .nonce("obMatJos2gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").encode(null, key);
        binding = StunMessageBuilder.of(StunMethod.BINDING, StunClass.REQUEST, tid).encode(null, null);
        allocateRequest = StunDecoder.decode(allocate, allocate.length);
    }

    @Benchmark
    public StunMessage decodeAllocate() throws StunParseException {
        return StunDecoder.decode(allocate, allocate.length);
    }

    @Benchmark
    public StunMessage decodeChannelBind() throws StunParseException {
        return StunDecoder.decode(channelBind, channelBind.length);
    }

    @Benchmark
    public StunMessage decodeBinding() throws StunParseException {
        return StunDecoder.decode(binding, binding.length);
    }

    @Benchmark
    public boolean verifyAllocateIntegrity() {
        return MessageIntegrity.verify(allocateRequest, key);
    }

    @Benchmark
    public byte[] encodeAllocateSuccess() {
        return StunMessageBuilder.success(allocateRequest).xorRelayedAddress(RELAYED).lifetime(600)
                .xorMappedAddress(CLIENT).encode(SOFTWARE, key);
    }

    @Benchmark
    public byte[] encodeUnauthorized() {
        return StunMessageBuilder.error(allocateRequest, ErrorCode.UNAUTHENTICATED).realm("turnbridge.test")
                .nonce("obMatJos2gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").encode(SOFTWARE, null);
    }
}
