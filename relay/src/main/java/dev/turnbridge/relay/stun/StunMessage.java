package dev.turnbridge.relay.stun;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.ChannelNumberAttribute;
import org.ice4j.attribute.LifetimeAttribute;
import org.ice4j.attribute.NonceAttribute;
import org.ice4j.attribute.RealmAttribute;
import org.ice4j.attribute.RequestedTransportAttribute;
import org.ice4j.attribute.ReservationTokenAttribute;
import org.ice4j.attribute.UsernameAttribute;
import org.ice4j.message.Message;

/**
 * A decoded STUN request or indication (RFC 8489 §5). Framing facts (type, transaction ID, where
 * MESSAGE-INTEGRITY sits, which comprehension-required attributes are unknown, every XOR-PEER-ADDRESS)
 * come from {@link StunDecoder}'s own scan; attribute values come from ice4j's decoder.
 */
public final class StunMessage {
    public static final int HEADER_LENGTH = 20;

    private final int type;
    private final byte[] transactionId;
    private final byte[] raw;
    private final int integrityOffset;
    private final int[] unknownRequired;
    private final List<InetSocketAddress> peerAddresses;
    private final boolean selfParsedMalformed;
    private final int evenPort;
    private final int requestedFamily;
    private final Message attributes;

    StunMessage(int type, byte[] transactionId, byte[] raw, int integrityOffset, int[] unknownRequired,
            List<InetSocketAddress> peerAddresses, boolean selfParsedMalformed, int evenPort, int requestedFamily,
            Message attributes) {
        this.type = type;
        this.transactionId = transactionId;
        this.raw = raw;
        this.integrityOffset = integrityOffset;
        this.unknownRequired = unknownRequired;
        this.peerAddresses = peerAddresses;
        this.selfParsedMalformed = selfParsedMalformed;
        this.evenPort = evenPort;
        this.requestedFamily = requestedFamily;
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
        return integrityOffset;
    }

    public boolean hasIntegrity() {
        return integrityOffset >= 0;
    }

    /** Comprehension-required attribute types this server does not understand (420 material). */
    public int[] unknownComprehensionRequired() {
        return unknownRequired.clone();
    }

    /** False when ice4j could not decode some attribute value although the framing was sound (400). */
    public boolean attributesWellFormed() {
        return attributes != null && !selfParsedMalformed;
    }

    /** Every XOR-PEER-ADDRESS, in message order (CreatePermission may carry several). */
    public List<InetSocketAddress> peerAddresses() {
        return peerAddresses;
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
        return requestedFamily;
    }

    /** CHANNEL-NUMBER, or -1 when absent. */
    public int channelNumber() {
        ChannelNumberAttribute a = attr(Attribute.CHANNEL_NUMBER);
        return a == null ? -1 : a.getChannelNumber();
    }

    /** EVEN-PORT: null when absent, else whether the R bit asks to reserve the next port. */
    public Boolean evenPortReserveNext() {
        return evenPort < 0 ? null : evenPort == 1;
    }

    public byte[] reservationToken() {
        ReservationTokenAttribute a = attr(Attribute.RESERVATION_TOKEN);
        return a == null ? null : a.getReservationToken();
    }

    @SuppressWarnings("unchecked")
    private <A extends Attribute> A attr(char type) {
        return attributes == null ? null : (A) attributes.getAttribute(type);
    }

    @Override
    public String toString() {
        return "StunMessage[" + StunMethod.name(method()) + " " + messageClass() + "]";
    }
}
