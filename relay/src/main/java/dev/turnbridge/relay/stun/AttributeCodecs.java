package dev.turnbridge.relay.stun;

import io.netty.util.collection.IntCollections;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;

/**
 * Which codec reads which attribute type: ours where ice4j 3.2 gets the value wrong or does not know the
 * attribute, ice4j's ({@link Ice4jAttribute}) for the rest. A new attribute is one line here and one small
 * codec. The integrity and FINGERPRINT attributes are not here: where they sit is framing (RFC 8489 §14.5,
 * §14.6, §14.7), checked by {@link StunDecoder}.
 */
final class AttributeCodecs {
    private static final IntObjectMap<AttributeCodec> OWN = own();

    private AttributeCodecs() {
    }

    private static IntObjectMap<AttributeCodec> own() {
        IntObjectMap<AttributeCodec> m = new IntObjectHashMap<>();
        m.put(AttributeType.USERNAME, Username::decode);
        m.put(AttributeType.USERHASH, Userhash::decode);
        m.put(AttributeType.PASSWORD_ALGORITHM, PasswordAlgorithm::decodeOne);
        m.put(AttributeType.PASSWORD_ALGORITHMS, PasswordAlgorithm::decodeList);
        m.put(AttributeType.XOR_PEER_ADDRESS, XorPeerAddress::decode);
        m.put(AttributeType.EVEN_PORT, EvenPort::decode);
        m.put(AttributeType.REQUESTED_ADDRESS_FAMILY, AddressFamily::decodeRequested);
        m.put(AttributeType.ADDITIONAL_ADDRESS_FAMILY, AddressFamily::decodeAdditional);
        m.put(AttributeType.CONNECTION_ID, ConnectionId::decode);
        return IntCollections.unmodifiableMap(m);
    }

    /** The codec of {@code type}; ice4j's for any type without one of ours, unknown types included. */
    static AttributeCodec of(int type) {
        AttributeCodec codec = OWN.get(type);
        return codec != null ? codec : Ice4jAttribute::decode;
    }
}
