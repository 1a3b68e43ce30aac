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
 * MESSAGE-INTEGRITY and/or MESSAGE-INTEGRITY-SHA256 (when a key is given), then FINGERPRINT. A response is
 * signed with the integrity attributes its request carried (RFC 8489 §9.2.4), so handlers need not know
 * whether the client speaks RFC 5389 or RFC 8489. ice4j's {@code Message.encode} is not used: it
 * needs a stack for MESSAGE-INTEGRITY and injects its own SOFTWARE from global configuration.
 */
public final class StunMessageBuilder {
    private final int method;
    private final StunClass cls;
    private final byte[] transactionId;
    private final IntegrityAttributes integrity;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(128);
    private ErrorCode error;

    private StunMessageBuilder(int method, StunClass cls, byte[] transactionId, IntegrityAttributes integrity) {
        this.method = method;
        this.cls = cls;
        this.transactionId = transactionId;
        this.integrity = integrity;
    }

    public static StunMessageBuilder success(StunMessage request) {
        return new StunMessageBuilder(request.method(), StunClass.SUCCESS_RESPONSE, request.transactionId(),
                request.integrityAttributes().forResponse());
    }

    public static StunMessageBuilder error(StunMessage request, ErrorCode code) {
        StunMessageBuilder r = new StunMessageBuilder(request.method(), StunClass.ERROR_RESPONSE, request.transactionId(),
                request.integrityAttributes().forResponse());
        r.error = code;
        r.add(AttributeFactory.createErrorCodeAttribute((char) code.code(), code.reason()));
        return r;
    }

    /** A message that answers nothing (a request or an indication); a key signs it with MESSAGE-INTEGRITY. */
    public static StunMessageBuilder of(int method, StunClass cls, byte[] transactionId) {
        return new StunMessageBuilder(method, cls, transactionId, IntegrityAttributes.SHA1);
    }

    /** The error this response carries, or null for a success. */
    public ErrorCode errorCode() {
        return error;
    }

    public int method() {
        return method;
    }

    /** The integrity attributes {@link #encode(String, byte[])} signs with. */
    public IntegrityAttributes integrity() {
        return integrity;
    }

    /**
     * Adds an attribute from its raw value, padded to four bytes: for attributes ice4j lacks or encodes
     * wrongly (EVEN-PORT, REQUESTED-ADDRESS-FAMILY, the RFC 8489 ones), and for tests of malformed values.
     */
    public StunMessageBuilder add(int type, byte[] value) {
        body.write(type >>> 8);
        body.write(type);
        body.write(value.length >>> 8);
        body.write(value.length);
        body.write(value, 0, value.length);
        for (int pad = (4 - (value.length & 3)) & 3; pad > 0; pad--) {
            body.write(0);
        }
        return this;
    }

    /** USERHASH (RFC 8489 §14.4), a 32-byte SHA-256. */
    public StunMessageBuilder userhash(byte[] userhash) {
        return add(AttributeType.USERHASH, userhash);
    }

    /** PASSWORD-ALGORITHMS (RFC 8489 §14.11), a list value as {@link PasswordAlgorithm#encodeList} makes. */
    public StunMessageBuilder passwordAlgorithms(byte[] list) {
        return add(AttributeType.PASSWORD_ALGORITHMS, list);
    }

    /** PASSWORD-ALGORITHM (RFC 8489 §14.12) for a parameterless algorithm. */
    public StunMessageBuilder passwordAlgorithm(int algorithm) {
        return add(AttributeType.PASSWORD_ALGORITHM, PasswordAlgorithm.encode(algorithm));
    }

    /** The transaction ID this message is built for. */
    public byte[] transactionId() {
        return transactionId.clone();
    }

    public StunMessageBuilder add(Attribute attribute) {
        byte[] encoded = attribute.encode();
        // ice4j's text attributes pad by (length % 4) rather than to the next multiple of four, so only the
        // header and the value it announces are taken, and padding is written here.
        int valueLength = ((encoded[2] & 0xFF) << 8) | (encoded[3] & 0xFF);
        body.write(encoded, 0, 4 + valueLength);
        for (int pad = (4 - (valueLength & 3)) & 3; pad > 0; pad--) {
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

    /**
     * ADDRESS-ERROR-CODE (RFC 8656 §18.12): why the relayed address of {@code family} (1 IPv4, 2 IPv6) asked
     * for by ADDITIONAL-ADDRESS-FAMILY could not be allocated. ice4j does not know this attribute.
     */
    public StunMessageBuilder addressErrorCode(int family, ErrorCode code) {
        byte[] reason = code.reason().getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[4 + reason.length];
        value[0] = (byte) family;
        value[2] = (byte) (code.code() / 100);
        value[3] = (byte) (code.code() % 100);
        System.arraycopy(reason, 0, value, 4, reason.length);
        return add(AttributeType.ADDRESS_ERROR_CODE, value);
    }

    /** ALTERNATE-SERVER (RFC 8489 §14.15): a plain, not XOR-ed, address, for 300 Try Alternate. */
    public StunMessageBuilder alternateServer(InetSocketAddress address) {
        // ice4j has no factory for it; the layout is MAPPED-ADDRESS's (RFC 8489 §14.1)
        byte[] ip = address.getAddress().getAddress();
        int length = 4 + ip.length;
        body.write(AttributeType.ALTERNATE_SERVER >>> 8);
        body.write(AttributeType.ALTERNATE_SERVER & 0xFF);
        body.write(length >>> 8);
        body.write(length & 0xFF);
        body.write(0);
        body.write(ip.length == 4 ? 0x01 : 0x02);
        body.write(address.getPort() >>> 8);
        body.write(address.getPort() & 0xFF);
        body.write(ip, 0, ip.length);
        return this;
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

    public StunMessageBuilder username(String username) {
        return add(AttributeFactory.createUsernameAttribute(username.getBytes(StandardCharsets.UTF_8)));
    }

    public StunMessageBuilder requestedTransport(int protocol) {
        return add(AttributeFactory.createRequestedTransportAttribute((byte) protocol));
    }

    public StunMessageBuilder channelNumber(int channel) {
        return add(AttributeFactory.createChannelNumberAttribute((char) channel));
    }

    public StunMessageBuilder data(byte[] data) {
        return add(AttributeFactory.createDataAttributeWithoutPadding(data));
    }

    public StunMessageBuilder unknownAttributes(int[] types) {
        UnknownAttributesAttribute a = AttributeFactory.createUnknownAttributesAttribute();
        for (int t : types) {
            a.addAttributeID((char) t);
        }
        return add(a);
    }

    /**
     * Encodes the message. {@code software} is omitted when empty; {@code integrityKey}, when non-null, adds
     * the integrity attributes of {@link #integrity()}; FINGERPRINT is always last.
     */
    public byte[] encode(String software, byte[] integrityKey) {
        return encode(software, integrityKey, integrity);
    }

    /** Encodes the message signed with {@code with} (ignored when {@code integrityKey} is null). */
    public byte[] encode(String software, byte[] integrityKey, IntegrityAttributes with) {
        if (software != null && !software.isEmpty()) {
            add(AttributeFactory.createSoftwareAttribute(software.getBytes(StandardCharsets.UTF_8)));
        }
        boolean sha1 = integrityKey != null && with.sha1();
        int sha256Length = integrityKey != null ? with.sha256Length() : 0;
        int bodyLength = body.size()
                + (sha1 ? 4 + MessageIntegrity.LENGTH : 0)
                + (sha256Length > 0 ? 4 + sha256Length : 0)
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
        if (sha1) {
            byte[] mac = MessageIntegrity.compute(out, pos, integrityKey);
            out[pos] = 0x00;
            out[pos + 1] = 0x08;
            out[pos + 2] = 0x00;
            out[pos + 3] = MessageIntegrity.LENGTH;
            System.arraycopy(mac, 0, out, pos + 4, MessageIntegrity.LENGTH);
            pos += 4 + MessageIntegrity.LENGTH;
        }
        if (sha256Length > 0) {
            // after MESSAGE-INTEGRITY when both are present, so that it covers it (RFC 8489 §14.6)
            byte[] mac = MessageIntegritySha256.compute(out, pos, sha256Length, integrityKey);
            out[pos] = 0x00;
            out[pos + 1] = (byte) AttributeType.MESSAGE_INTEGRITY_SHA256;
            out[pos + 2] = 0x00;
            out[pos + 3] = (byte) sha256Length;
            System.arraycopy(mac, 0, out, pos + 4, sha256Length);
            pos += 4 + sha256Length;
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
