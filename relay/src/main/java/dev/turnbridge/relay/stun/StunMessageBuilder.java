package dev.turnbridge.relay.stun;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.ice4j.TransportAddress;
import org.ice4j.Transport;
import org.ice4j.attribute.Attribute;
import org.ice4j.attribute.AttributeFactory;
import org.ice4j.attribute.UnknownAttributesAttribute;

/**
 * Builds one outgoing STUN message (a response, or an indication such as ConnectionAttempt) from ice4j
 * attributes and encodes it in RFC 8489 order: the attributes as added, then SOFTWARE, then
 * MESSAGE-INTEGRITY (when a key is given), then FINGERPRINT. ice4j's {@code Message.encode} is not used: it
 * needs a stack for MESSAGE-INTEGRITY and injects its own SOFTWARE from global configuration.
 */
public final class StunMessageBuilder {
    private final int method;
    private final StunClass cls;
    private final byte[] transactionId;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(128);
    private ErrorCode error;

    private StunMessageBuilder(int method, StunClass cls, byte[] transactionId) {
        this.method = method;
        this.cls = cls;
        this.transactionId = transactionId;
    }

    public static StunMessageBuilder success(StunMessage request) {
        return new StunMessageBuilder(request.method(), StunClass.SUCCESS_RESPONSE, request.transactionId());
    }

    public static StunMessageBuilder error(StunMessage request, ErrorCode code) {
        StunMessageBuilder r = new StunMessageBuilder(request.method(), StunClass.ERROR_RESPONSE, request.transactionId());
        r.error = code;
        r.add(AttributeFactory.createErrorCodeAttribute((char) code.code(), code.reason()));
        return r;
    }

    public static StunMessageBuilder of(int method, StunClass cls, byte[] transactionId) {
        return new StunMessageBuilder(method, cls, transactionId);
    }

    /** The error this response carries, or null for a success. */
    public ErrorCode errorCode() {
        return error;
    }

    public int method() {
        return method;
    }

    public StunMessageBuilder add(Attribute attribute) {
        byte[] encoded = attribute.encode();
        body.write(encoded, 0, encoded.length);
        for (int pad = (4 - (encoded.length & 3)) & 3; pad > 0; pad--) {
            body.write(0);
        }
        return this;
    }

    public StunMessageBuilder xorMappedAddress(InetSocketAddress address) {
        return add(AttributeFactory.createXorMappedAddressAttribute(transport(address), transactionId));
    }

    public StunMessageBuilder xorRelayedAddress(InetSocketAddress address) {
        return add(AttributeFactory.createXorRelayedAddressAttribute(transport(address), transactionId));
    }

    public StunMessageBuilder xorPeerAddress(InetSocketAddress address) {
        return add(AttributeFactory.createXorPeerAddressAttribute(transport(address), transactionId));
    }

    public StunMessageBuilder lifetime(long seconds) {
        return add(AttributeFactory.createLifetimeAttribute((int) seconds));
    }

    public StunMessageBuilder realm(String realm) {
        return add(AttributeFactory.createRealmAttribute(realm.getBytes(StandardCharsets.UTF_8)));
    }

    public StunMessageBuilder nonce(String nonce) {
        return add(AttributeFactory.createNonceAttribute(nonce.getBytes(StandardCharsets.UTF_8)));
    }

    public StunMessageBuilder reservationToken(byte[] token) {
        return add(AttributeFactory.createReservationTokenAttribute(token));
    }

    public StunMessageBuilder unknownAttributes(int[] types) {
        UnknownAttributesAttribute a = AttributeFactory.createUnknownAttributesAttribute();
        for (int t : types) {
            a.addAttributeID((char) t);
        }
        return add(a);
    }

    /**
     * Encodes the message. {@code software} is omitted when empty; {@code integrityKey} adds
     * MESSAGE-INTEGRITY when non-null; FINGERPRINT is always last.
     */
    public byte[] encode(String software, byte[] integrityKey) {
        if (software != null && !software.isEmpty()) {
            add(AttributeFactory.createSoftwareAttribute(software.getBytes(StandardCharsets.UTF_8)));
        }
        int bodyLength = body.size()
                + (integrityKey != null ? 4 + MessageIntegrity.LENGTH : 0)
                + 8;
        byte[] out = new byte[StunMessage.HEADER_LENGTH + bodyLength];
        int type = StunMethod.type(method, cls);
        out[0] = (byte) (type >>> 8);
        out[1] = (byte) type;
        out[4] = 0x21;
        out[5] = 0x12;
        out[6] = (byte) 0xA4;
        out[7] = 0x42;
        System.arraycopy(transactionId, 0, out, 8, 12);
        byte[] attrs = body.toByteArray();
        System.arraycopy(attrs, 0, out, StunMessage.HEADER_LENGTH, attrs.length);
        int pos = StunMessage.HEADER_LENGTH + attrs.length;
        if (integrityKey != null) {
            byte[] mac = MessageIntegrity.compute(out, pos, integrityKey);
            out[pos] = 0x00;
            out[pos + 1] = 0x08;
            out[pos + 2] = 0x00;
            out[pos + 3] = MessageIntegrity.LENGTH;
            System.arraycopy(mac, 0, out, pos + 4, MessageIntegrity.LENGTH);
            pos += 4 + MessageIntegrity.LENGTH;
        }
        // the length field must count FINGERPRINT before its CRC is taken
        out[2] = (byte) (bodyLength >>> 8);
        out[3] = (byte) bodyLength;
        int crc = Fingerprint.compute(out, pos);
        out[pos] = (byte) 0x80;
        out[pos + 1] = 0x28;
        out[pos + 2] = 0x00;
        out[pos + 3] = 0x04;
        out[pos + 4] = (byte) (crc >>> 24);
        out[pos + 5] = (byte) (crc >>> 16);
        out[pos + 6] = (byte) (crc >>> 8);
        out[pos + 7] = (byte) crc;
        return out;
    }

    private static TransportAddress transport(InetSocketAddress address) {
        return new TransportAddress(address.getAddress(), address.getPort(), Transport.UDP);
    }
}
