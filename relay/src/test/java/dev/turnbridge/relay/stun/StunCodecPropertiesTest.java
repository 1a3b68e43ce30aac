package dev.turnbridge.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * Round trips through the STUN codec facade (jqwik, fixed seeds, small tries: part of every build): what
 * {@link StunMessageBuilder} writes, {@link StunDecoder} reads back as the same values, signed messages
 * verify with their key and only with it, and random bytes never make the decoder or an accessor throw.
 */
class StunCodecPropertiesTest {

    @Property(tries = 200, seed = "20260201")
    void builderAttributesDecodeToTheSameValues(@ForAll @Size(12) byte[] transactionId,
            @ForAll("usernames") String username, @ForAll @StringLength(max = 60) String realm,
            @ForAll("asciiNonces") String nonce, @ForAll @LongRange(max = 0xFFFFFFFFL) long lifetime,
            @ForAll @IntRange(max = 255) int transport, @ForAll @IntRange(min = 0x4000, max = 0x4FFF) int channel,
            @ForAll @Size(max = 300) byte[] data, @ForAll @Size(8) byte[] token,
            @ForAll("peerLists") List<InetSocketAddress> peers, @ForAll("addresses") InetSocketAddress mapped) {
        StunMessageBuilder b = StunMessageBuilder.of(StunMethod.ALLOCATE, StunClass.REQUEST, transactionId)
                .username(username).realm(realm).nonce(nonce).lifetime(lifetime).requestedTransport(transport)
                .channelNumber(channel).data(data).reservationToken(token).xorMappedAddress(mapped);
        peers.forEach(b::xorPeerAddress);
        StunMessage m = StunDecoderRoundTrip.decodeOrFail(b.encode("turnbridge", null));

        assertThat(m.transactionId()).isEqualTo(transactionId);
        assertThat(m.method()).isEqualTo(StunMethod.ALLOCATE);
        assertThat(m.messageClass()).isEqualTo(StunClass.REQUEST);
        assertThat(m.username()).isEqualTo(username);
        assertThat(m.realm()).isEqualTo(realm);
        assertThat(m.nonce()).isEqualTo(nonce);
        assertThat(m.lifetime()).isEqualTo(lifetime);
        assertThat(m.requestedTransport()).isEqualTo(transport);
        assertThat(m.channelNumber()).isEqualTo(channel);
        assertThat(m.data()).isEqualTo(data);
        assertThat(m.reservationToken()).isEqualTo(token);
        assertThat(m.peerAddresses()).isEqualTo(peers);
        assertThat(m.xorMappedAddress()).isEqualTo(mapped);
        assertThat(m.hasIntegrity()).isFalse();
        StunAccessors.readAll(m);
    }

    @Property(tries = 100, seed = "20260202")
    void signedMessagesVerifyWithTheirKeyOnly(@ForAll @Size(12) byte[] transactionId,
            @ForAll @Size(min = 1, max = 32) byte[] key, @ForAll @Size(min = 1, max = 32) byte[] otherKey,
            @ForAll boolean sha1, @ForAll @IntRange(min = 0, max = 4) int sha256Words,
            @ForAll @Size(max = 100) byte[] data) {
        int sha256Length = sha256Words == 0 ? 0 : 12 + 4 * sha256Words; // 0 or 16..28 and 32
        IntegrityAttributes with = new IntegrityAttributes(sha1 || sha256Length == 0, sha256Length);
        byte[] encoded = StunMessageBuilder.of(StunMethod.REFRESH, StunClass.REQUEST, transactionId).data(data)
                .encode("", key, with);
        StunMessage m = StunDecoderRoundTrip.decodeOrFail(encoded);

        assertThat(m.integrityAttributes()).isEqualTo(with);
        assertThat(MessageIntegrity.verify(m, key)).isEqualTo(with.sha1());
        assertThat(MessageIntegritySha256.verify(m, key)).isEqualTo(with.sha256());
        if (!java.util.Arrays.equals(key, otherKey)) {
            assertThat(MessageIntegrity.verify(m, otherKey)).isFalse();
            assertThat(MessageIntegritySha256.verify(m, otherKey)).isFalse();
        }
    }

    @Property(tries = 1000, seed = "20260203")
    void decoderAndAccessorsNeverThrowOnRandomBytes(@ForAll("stunLike") byte[] bytes) {
        StunMessage m;
        try {
            m = StunDecoder.decode(bytes, bytes.length);
        } catch (StunParseException e) {
            assertThat(e.getMessage()).isNotEmpty();
            return;
        }
        StunAccessors.readAll(m);
        MessageIntegrity.verify(m, new byte[16]);
        MessageIntegritySha256.verify(m, new byte[16]);
    }

    /** What RFC 8489 §14.3 allows (the decoder refuses the rest with 400): no control characters, not empty. */
    @Provide
    Arbitrary<String> usernames() {
        return Arbitraries.strings().ofMinLength(1).ofMaxLength(100)
                .filter(s -> s.codePoints().noneMatch(Character::isISOControl));
    }

    @Provide
    Arbitrary<String> asciiNonces() {
        return Arbitraries.strings().ascii().ofMaxLength(100);
    }

    @Provide
    Arbitrary<InetSocketAddress> addresses() {
        Arbitrary<byte[]> ip = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofSize(4),
                Arbitraries.bytes().array(byte[].class).ofSize(16));
        return Combinators.combine(ip, Arbitraries.integers().between(0, 65535)).as((a, port) -> {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Provide
    Arbitrary<List<InetSocketAddress>> peerLists() {
        return addresses().list().ofMaxSize(4);
    }

    /**
     * Headers that pass the first checks (type, cookie, length) followed by attribute-shaped random bytes, so
     * that most tries reach the attribute walk and ice4j rather than stopping at the header.
     */
    @Provide
    Arbitrary<byte[]> stunLike() {
        Arbitrary<byte[]> attribute = Combinators.combine(
                Arbitraries.of(0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013, 0x0014,
                        0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001C, 0x001D, 0x001E, 0x0020, 0x0022,
                        0x8002, 0x8022, 0x8028, 0x8029, 0x802A, 0x7FFF),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40)).as((type, value) -> {
                    int padded = (value.length + 3) & ~3;
                    byte[] a = new byte[4 + padded];
                    a[0] = (byte) (type >>> 8);
                    a[1] = (byte) (int) type;
                    a[3] = (byte) value.length;
                    System.arraycopy(value, 0, a, 4, value.length);
                    return a;
                });
        Arbitrary<byte[]> body = attribute.list().ofMaxSize(6).map(list -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            list.forEach(out::writeBytes);
            return out.toByteArray();
        });
        Arbitrary<byte[]> framed = Combinators.combine(Arbitraries.integers().between(0, 0x3FFF),
                Arbitraries.bytes().array(byte[].class).ofSize(12), body).as((type, id, attrs) -> {
                    byte[] m = new byte[20 + attrs.length];
                    m[0] = (byte) (type >>> 8);
                    m[1] = (byte) (int) type;
                    m[2] = (byte) (attrs.length >>> 8);
                    m[3] = (byte) attrs.length;
                    m[4] = 0x21;
                    m[5] = 0x12;
                    m[6] = (byte) 0xA4;
                    m[7] = 0x42;
                    System.arraycopy(id, 0, m, 8, 12);
                    System.arraycopy(attrs, 0, m, 20, attrs.length);
                    return m;
                });
        return Arbitraries.oneOf(framed, Arbitraries.bytes().array(byte[].class).ofMaxSize(120));
    }
}
