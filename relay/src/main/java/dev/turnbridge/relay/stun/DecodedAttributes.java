package dev.turnbridge.relay.stun;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ice4j.attribute.Attribute;

/**
 * What the attribute codecs read from one message, filled in message order while {@link StunDecoder} walks it
 * and read-only afterwards through {@link StunMessage}. Where an attribute may appear more than once, the
 * first one counts (RFC 8489 §14: any later one is ignored), except XOR-PEER-ADDRESS, which CreatePermission
 * repeats (RFC 8656 §9.1), and the attributes ice4j decodes, where the last one counts as ice4j always did.
 */
final class DecodedAttributes {
    private static final int[] NONE = new int[0];

    // the integrity attributes (framing: StunDecoder sets them)
    int integrityOffset = -1;
    int sha256Offset = -1;
    int sha256Length;

    // ours
    int passwordAlgorithm = -1;
    byte[] passwordAlgorithms;
    byte[] userhash;
    List<InetSocketAddress> peers = List.of();
    int evenPort = -1;
    int requestedFamily = -1;
    int additionalFamily = -1;
    long connectionId = -1;
    int[] unknownRequired = NONE;
    private boolean malformed;

    // ice4j's; null once one of them failed to decode
    private IntObjectMap<Attribute> ice4j = new IntObjectHashMap<>(8);

    /** A value broke its attribute's rules: the message earns 400. */
    void malformed() {
        malformed = true;
    }

    void ice4j(Attribute attribute) {
        if (ice4j != null) {
            ice4j.put(attribute.getAttributeType(), attribute);
        }
    }

    /** ice4j could not decode a value: none of ice4j's values are kept, and the message earns 400. */
    void ice4jFailed() {
        ice4j = null;
    }

    void peer(InetSocketAddress peer) {
        if (peers.isEmpty()) {
            peers = new ArrayList<>(2);
        }
        peers.add(peer);
    }

    void unknownRequired(int type) {
        unknownRequired = Arrays.copyOf(unknownRequired, unknownRequired.length + 1);
        unknownRequired[unknownRequired.length - 1] = type;
    }

    /** Called once the message is decoded. */
    DecodedAttributes freeze() {
        peers = peers.isEmpty() ? List.of() : List.copyOf(peers);
        return this;
    }

    boolean wellFormed() {
        return ice4j != null && !malformed;
    }

    /** ice4j's attribute of {@code type}, or null (also when ice4j failed on any value). */
    Attribute ice4j(int type) {
        return ice4j == null ? null : ice4j.get(type);
    }
}
