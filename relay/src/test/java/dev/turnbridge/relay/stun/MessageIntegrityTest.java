package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The per-thread Macs behind both integrity attributes carry nothing from one key or message to the next. */
class MessageIntegrityTest {
    private static final byte[] MESSAGE = new byte[64];
    private static final byte[] KEY_A = "key-a".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_B = "a-much-longer-key-b-0123456789".getBytes(StandardCharsets.US_ASCII);

    static {
        for (int i = 0; i < MESSAGE.length; i++) {
            MESSAGE[i] = (byte) (i * 7 + 1);
        }
    }

    /** The same HMAC computed the plain way: a fresh Mac, the length field patched in a copy. */
    private static byte[] reference(String algorithm, int offset, int valueLength, byte[] key) throws Exception {
        byte[] copy = MESSAGE.clone();
        int adjusted = offset + 4 + valueLength - StunMessage.HEADER_LENGTH;
        copy[2] = (byte) (adjusted >>> 8);
        copy[3] = (byte) adjusted;
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        mac.update(copy, 0, offset);
        return mac.doFinal();
    }

    @Test
    void interleavedKeysAndAlgorithmsMatchAFreshMac() throws Exception {
        for (int round = 0; round < 3; round++) {
            for (byte[] key : new byte[][] {KEY_A, KEY_B}) {
                assertThat(MessageIntegrity.compute(MESSAGE, 40, key))
                        .isEqualTo(reference("HmacSHA1", 40, MessageIntegrity.LENGTH, key));
                assertThat(MessageIntegritySha256.compute(MESSAGE, 44, 24, key))
                        .isEqualTo(reference("HmacSHA256", 44, 24, key));
            }
        }
    }

    @Test
    void threadsDoNotShareState() throws Exception {
        byte[] expectedA = reference("HmacSHA1", 40, MessageIntegrity.LENGTH, KEY_A);
        byte[] expectedB = reference("HmacSHA1", 40, MessageIntegrity.LENGTH, KEY_B);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Boolean> a = pool.submit(() -> agrees(KEY_A, expectedA));
            Future<Boolean> b = pool.submit(() -> agrees(KEY_B, expectedB));
            assertThat(a.get()).isTrue();
            assertThat(b.get()).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean agrees(byte[] key, byte[] expected) {
        for (int i = 0; i < 20_000; i++) {
            if (!java.util.Arrays.equals(MessageIntegrity.compute(MESSAGE, 40, key), expected)) {
                return false;
            }
        }
        return true;
    }
}
