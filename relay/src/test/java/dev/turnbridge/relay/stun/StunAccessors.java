package dev.turnbridge.relay.stun;

import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Calls every accessor of a decoded {@link StunMessage}, the way handlers do, so fuzz targets and properties
 * check that nothing the decoder accepted can throw later. Returns a fingerprint of the values read so the
 * JIT cannot drop the calls.
 */
public final class StunAccessors {
    private StunAccessors() {
    }

    public static int readAll(StunMessage m) {
        int h = m.method() * 31 + m.messageClass().hashCode();
        h = h * 31 + Arrays.hashCode(m.transactionId());
        h = h * 31 + m.integrityOffset() + (m.hasIntegrity() ? 1 : 0);
        h = h * 31 + m.integritySha256Offset() + m.integritySha256Length() + (m.hasIntegritySha256() ? 1 : 0);
        h = h * 31 + m.integrityAttributes().hashCode();
        h = h * 31 + m.integrityAttributes().forResponse().hashCode();
        h = h * 31 + m.passwordAlgorithm();
        h = h * 31 + Arrays.hashCode(m.passwordAlgorithms());
        h = h * 31 + Arrays.hashCode(m.userhash());
        h = h * 31 + Arrays.hashCode(m.unknownComprehensionRequired());
        h = h * 31 + (m.attributesWellFormed() ? 1 : 0);
        for (InetSocketAddress peer : m.peerAddresses()) {
            h = h * 31 + peer.hashCode();
        }
        h = h * 31 + String.valueOf(m.username()).hashCode();
        h = h * 31 + String.valueOf(m.realm()).hashCode();
        h = h * 31 + String.valueOf(m.nonce()).hashCode();
        h = h * 31 + Long.hashCode(m.lifetime());
        h = h * 31 + m.requestedTransport();
        h = h * 31 + m.requestedAddressFamily();
        h = h * 31 + m.channelNumber();
        h = h * 31 + String.valueOf(m.evenPortReserveNext()).hashCode();
        h = h * 31 + Arrays.hashCode(m.reservationToken());
        h = h * 31 + m.errorCode();
        h = h * 31 + String.valueOf(m.xorMappedAddress()).hashCode();
        h = h * 31 + String.valueOf(m.xorRelayedAddress()).hashCode();
        h = h * 31 + Arrays.hashCode(m.unknownAttributes());
        h = h * 31 + Arrays.hashCode(m.data());
        for (int type : new int[] {AttributeType.USERNAME, AttributeType.DONT_FRAGMENT, AttributeType.SOFTWARE,
                AttributeType.XOR_MAPPED_ADDRESS, AttributeType.PRIORITY, AttributeType.USE_CANDIDATE}) {
            h = h * 31 + (m.has(type) ? 1 : 0);
        }
        h = h * 31 + m.toString().hashCode();
        return h;
    }
}
