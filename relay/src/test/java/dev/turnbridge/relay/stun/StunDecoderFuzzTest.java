package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.turnbridge.relay.auth.LongTermKey;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the STUN codec facade: {@link StunDecoder#decode} either rejects the bytes with
 * {@link StunParseException} or returns a message whose every accessor, and MESSAGE-INTEGRITY(-SHA256)
 * verification, works; a response built for an accepted message decodes again and verifies with its key.
 *
 * <p>In the normal build this runs only the seeds and saved findings under
 * {@code src/test/resources/dev/turnbridge/relay/stun/StunDecoderFuzzTestInputs/decode/} (RFC 5769 and
 * RFC 8489 vectors); {@code scripts/fuzz} runs it with {@code JAZZER_FUZZ=1} for the budget below.
 */
class StunDecoderFuzzTest {
    private static final byte[] KEY = LongTermKey.derive("evtj:h6vY", "example.org", "VOkJxbRl1RmTxUk/WvJxBt");

    @FuzzTest(maxDuration = "5m", maxExecutions = 400_000)
    void decode(byte[] input) {
        // trailing bytes beyond length must be ignored: callers hand in reused arrays
        byte[] bytes = Arrays.copyOf(input, input.length + (input.length & 7));
        StunMessage message;
        try {
            message = StunDecoder.decode(bytes, input.length);
        } catch (StunParseException e) {
            assertThat(e.getMessage()).isNotEmpty();
            return;
        }
        StunAccessors.readAll(message);
        MessageIntegrity.verify(message, KEY);
        MessageIntegritySha256.verify(message, KEY);

        StunMessageBuilder response = message.attributesWellFormed()
                ? StunMessageBuilder.success(message).xorMappedAddress(
                        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 3478))
                : StunMessageBuilder.error(message, ErrorCode.BAD_REQUEST);
        if (message.unknownComprehensionRequired().length > 0) {
            response = StunMessageBuilder.error(message, ErrorCode.UNKNOWN_ATTRIBUTE)
                    .unknownAttributes(message.unknownComprehensionRequired());
        }
        byte[] encoded = response.encode("turnbridge", KEY);
        StunMessage decoded = StunDecoderRoundTrip.decodeOrFail(encoded);
        assertThat(decoded.transactionId()).isEqualTo(message.transactionId());
        assertThat(decoded.method()).isEqualTo(message.method());
        IntegrityAttributes signed = message.integrityAttributes().forResponse();
        if (signed.sha1()) {
            assertThat(MessageIntegrity.verify(decoded, KEY)).isTrue();
        }
        if (signed.sha256()) {
            assertThat(MessageIntegritySha256.verify(decoded, KEY)).isTrue();
        }
        StunAccessors.readAll(decoded);
    }
}
