package dev.turnbridge.relay.wire;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The XOR-ed address value shared by XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS
 * (RFC 8489 §14.2): family, port XOR the cookie's top half, address XOR cookie (IPv4) or cookie and
 * transaction ID (IPv6). Works on the message buffer in place, so the data path needs no codec objects.
 */
public final class XorAddress {
    static final int MAGIC_COOKIE = 0x2112A442;
    private static final int FAMILY_IPV4 = 0x01;
    private static final int FAMILY_IPV6 = 0x02;

    private XorAddress() {
    }

    /**
     * Decodes the value at {@code valueIndex} of a message that starts at {@code messageIndex} (the transaction
     * ID sits at {@code messageIndex + 8}). Returns null when the value is malformed.
     */
    public static InetSocketAddress decode(ByteBuf msg, int messageIndex, int valueIndex, int valueLength) {
        if (valueLength < 8) {
            return null;
        }
        int family = msg.getUnsignedByte(valueIndex + 1);
        int port = msg.getUnsignedShort(valueIndex + 2) ^ (MAGIC_COOKIE >>> 16);
        byte[] addr;
        if (family == FAMILY_IPV4 && valueLength == 8) {
            int raw = msg.getInt(valueIndex + 4) ^ MAGIC_COOKIE;
            addr = new byte[] {(byte) (raw >>> 24), (byte) (raw >>> 16), (byte) (raw >>> 8), (byte) raw};
        } else if (family == FAMILY_IPV6 && valueLength == 20) {
            addr = new byte[16];
            for (int i = 0; i < 16; i++) {
                // bytes 0-3 XOR the cookie, 4-15 XOR the transaction ID; the cookie is at messageIndex + 4
                addr[i] = (byte) (msg.getByte(valueIndex + 4 + i) ^ msg.getByte(messageIndex + 4 + i));
            }
        } else {
            return null;
        }
        try {
            InetAddress ip = family == FAMILY_IPV4
                    ? InetAddress.getByAddress(addr)
                    : Inet6Address.getByAddress(null, addr, -1);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Length of the encoded value for this address (without attribute header). */
    public static int valueLength(InetSocketAddress address) {
        return address.getAddress() instanceof Inet4Address ? 8 : 20;
    }

    /**
     * Writes the value (without attribute header) for a message whose header, with its transaction ID, is
     * already in {@code msg} at {@code messageIndex}.
     */
    public static void write(ByteBuf msg, int messageIndex, InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        msg.writeByte(0);
        if (ip instanceof Inet4Address) {
            msg.writeByte(FAMILY_IPV4);
            msg.writeShort(address.getPort() ^ (MAGIC_COOKIE >>> 16));
            byte[] a = ip.getAddress();
            int raw = ((a[0] & 0xFF) << 24) | ((a[1] & 0xFF) << 16) | ((a[2] & 0xFF) << 8) | (a[3] & 0xFF);
            msg.writeInt(raw ^ MAGIC_COOKIE);
        } else {
            msg.writeByte(FAMILY_IPV6);
            msg.writeShort(address.getPort() ^ (MAGIC_COOKIE >>> 16));
            byte[] a = ip.getAddress();
            for (int i = 0; i < 16; i++) {
                msg.writeByte(a[i] ^ msg.getByte(messageIndex + 4 + i));
            }
        }
    }
}
