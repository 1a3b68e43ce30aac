package dev.turnbridge.relay.stun;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ice4j.TransportAddress;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.DataAttribute;
import org.ice4j.attribute.ErrorCodeAttribute;
import org.ice4j.attribute.UnknownAttributesAttribute;
import org.ice4j.attribute.XorMappedAddressAttribute;
import org.ice4j.attribute.XorRelayedAddressAttribute;
import org.ice4j.attribute.ChannelNumberAttribute;
import org.ice4j.attribute.LifetimeAttribute;
import org.ice4j.attribute.NonceAttribute;
import org.ice4j.attribute.RealmAttribute;
import org.ice4j.attribute.RequestedTransportAttribute;
import org.ice4j.attribute.ReservationTokenAttribute;
import org.ice4j.attribute.UsernameAttribute;

/**
 * A decoded STUN message (RFC 8489 §5): its type, transaction ID and bytes as received, where the integrity
 * attributes sit ({@link StunDecoder}), and the attribute values its codecs read ({@link AttributeCodecs}).
 */
public final class StunMessage {
    public static final int HEADER_LENGTH = 20;

    private final int type;
    private final byte[] transactionId;
    private final byte[] raw;
    private final DecodedAttributes attributes;

    StunMessage(int type, byte[] transactionId, byte[] raw, DecodedAttributes attributes) {
        this.type = type;
        this.transactionId = transactionId;
        this.raw = raw;
        this.attributes = attributes;
    }

    public int method() {
        return StunMethod.ofType(type);
    }

    public StunClass messageClass() {
        return StunClass.ofType(type);
    }

    /** The 96-bit transaction ID; callers must not modify it. */
    public byte[] transactionId() {
        return transactionId;
    }

    /** The whole message as received; callers must not modify it. */
    byte[] raw() {
        return raw;
    }

    /** Offset of the MESSAGE-INTEGRITY attribute header, or -1 when the message has none. */
    public int integrityOffset() {
        return attributes.integrityOffset;
    }

    /** Whether MESSAGE-INTEGRITY (HMAC-SHA1) is present. */
    public boolean hasIntegrity() {
        return attributes.integrityOffset >= 0;
    }

    /** Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, or -1 when the message has none. */
    public int integritySha256Offset() {
        return attributes.sha256Offset;
    }

    /** Length of the MESSAGE-INTEGRITY-SHA256 value (32, or 16..28 when truncated); 0 when absent. */
    public int integritySha256Length() {
        return attributes.sha256Offset < 0 ? 0 : attributes.sha256Length;
    }

    public boolean hasIntegritySha256() {
        return attributes.sha256Offset >= 0;
    }

    /** Which message-integrity attributes the message carries. */
    public IntegrityAttributes integrityAttributes() {
        return new IntegrityAttributes(hasIntegrity(), integritySha256Length());
    }

    /** PASSWORD-ALGORITHM's algorithm number (RFC 8489 §14.12), or -1 when absent. */
    public int passwordAlgorithm() {
        return attributes.passwordAlgorithm;
    }

    /** PASSWORD-ALGORITHMS's value as received (RFC 8489 §14.11), or null when absent. */
    public byte[] passwordAlgorithms() {
        byte[] v = attributes.passwordAlgorithms;
        return v == null ? null : v.clone();
    }

    /** USERHASH's 32-byte value (RFC 8489 §14.4), or null when absent. */
    public byte[] userhash() {
        byte[] v = attributes.userhash;
        return v == null ? null : v.clone();
    }

    /** Comprehension-required attribute types this server does not understand (420 material). */
    public int[] unknownComprehensionRequired() {
        return attributes.unknownRequired.clone();
    }

    /** False when some attribute value broke its rules although the framing was sound (400). */
    public boolean attributesWellFormed() {
        return attributes.wellFormed();
    }

    /** Every XOR-PEER-ADDRESS, in message order (CreatePermission may carry several). */
    public List<InetSocketAddress> peerAddresses() {
        return attributes.peers;
    }

    public String username() {
        UsernameAttribute a = attr(Attribute.USERNAME);
        return a == null ? null : new String(a.getUsername(), StandardCharsets.UTF_8);
    }

    public String realm() {
        RealmAttribute a = attr(Attribute.REALM);
        return a == null ? null : new String(a.getRealm(), StandardCharsets.UTF_8);
    }

    public String nonce() {
        NonceAttribute a = attr(Attribute.NONCE);
        return a == null ? null : new String(a.getNonce(), StandardCharsets.UTF_8);
    }

    /** LIFETIME in seconds, or -1 when absent. */
    public long lifetime() {
        LifetimeAttribute a = attr(Attribute.LIFETIME);
        return a == null ? -1 : Integer.toUnsignedLong(a.getLifetime());
    }

    /** REQUESTED-TRANSPORT protocol number, or -1 when absent. */
    public int requestedTransport() {
        RequestedTransportAttribute a = attr(Attribute.REQUESTED_TRANSPORT);
        return a == null ? -1 : a.getRequestedTransport() & 0xFF;
    }

    /** REQUESTED-ADDRESS-FAMILY as sent (1 IPv4, 2 IPv6, anything else unsupported), or -1 when absent. */
    public int requestedAddressFamily() {
        return attributes.requestedFamily;
    }

    /** ADDITIONAL-ADDRESS-FAMILY as sent (RFC 8656 §18.11: only 2, IPv6, is valid), or -1 when absent. */
    public int additionalAddressFamily() {
        return attributes.additionalFamily;
    }

    /** CONNECTION-ID (RFC 6062 §6.2) as an unsigned 32-bit value, or -1 when absent. */
    public long connectionId() {
        return attributes.connectionId;
    }

    /** CHANNEL-NUMBER, or -1 when absent. */
    public int channelNumber() {
        ChannelNumberAttribute a = attr(Attribute.CHANNEL_NUMBER);
        return a == null ? -1 : a.getChannelNumber();
    }

    /** EVEN-PORT: null when absent, else whether the R bit asks to reserve the next port. */
    public Boolean evenPortReserveNext() {
        return attributes.evenPort < 0 ? null : attributes.evenPort == 1;
    }

    public byte[] reservationToken() {
        ReservationTokenAttribute a = attr(Attribute.RESERVATION_TOKEN);
        return a == null ? null : a.getReservationToken();
    }

    /** ERROR-CODE as a number (e.g. 401), or -1 when absent. */
    public int errorCode() {
        ErrorCodeAttribute a = attr(Attribute.ERROR_CODE);
        return a == null ? -1 : a.getErrorClass() * 100 + a.getErrorNumber();
    }

    public InetSocketAddress xorMappedAddress() {
        XorMappedAddressAttribute a = attr(Attribute.XOR_MAPPED_ADDRESS);
        return a == null ? null : socketAddress(a.getAddress(transactionId));
    }

    public InetSocketAddress xorRelayedAddress() {
        XorRelayedAddressAttribute a = attr(Attribute.XOR_RELAYED_ADDRESS);
        return a == null ? null : socketAddress(a.getAddress(transactionId));
    }

    /** UNKNOWN-ATTRIBUTES of a 420 response. */
    public int[] unknownAttributes() {
        UnknownAttributesAttribute a = attr(Attribute.UNKNOWN_ATTRIBUTES);
        if (a == null) {
            return new int[0];
        }
        int[] types = new int[a.getAttributeCount()];
        for (int i = 0; i < types.length; i++) {
            types[i] = a.getAttribute(i);
        }
        return types;
    }

    /** Whether the message carries an attribute of this type (as decoded by ice4j). */
    public boolean has(int type) {
        return attributes.ice4j(type) != null;
    }

    /** DATA value, or null. */
    public byte[] data() {
        DataAttribute a = attr(Attribute.DATA);
        return a == null ? null : a.getData();
    }

    private static InetSocketAddress socketAddress(TransportAddress t) {
        return new InetSocketAddress(t.getAddress(), t.getPort());
    }

    @SuppressWarnings("unchecked")
    private <A extends Attribute> A attr(char type) {
        return (A) attributes.ice4j(type);
    }

    @Override
    public String toString() {
        return "StunMessage[method 0x" + Integer.toHexString(method()) + " " + messageClass() + "]";
    }
}
