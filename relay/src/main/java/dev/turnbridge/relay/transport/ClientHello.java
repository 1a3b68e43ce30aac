package dev.turnbridge.relay.transport;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The two ClientHello extensions that choose a certificate: server_name (RFC 6066 §3) and
 * application_layer_protocol_negotiation (RFC 7301 §3.1). Read from the handshake message body (from
 * {@code legacy_version} on, as Netty's {@code SslClientHelloHandler} hands it over) without consuming it;
 * a malformed hello gives {@link #NONE}, and the TLS engine then rejects it as it would have.
 *
 * @param serverName the host_name, lower case; null when absent
 * @param protocols  the offered ALPN protocol names, in the client's order
 */
record ClientHello(String serverName, List<String> protocols) {
    static final ClientHello NONE = new ClientHello(null, List.of());
    private static final int SERVER_NAME = 0;
    private static final int ALPN = 16;
    private static final int HOST_NAME = 0;
    /** legacy_version (2) and random (32). */
    private static final int FIXED_PREFIX = 34;

    boolean offersOnly(String protocol) {
        return protocols.size() == 1 && protocols.get(0).equals(protocol);
    }

    /** Parses {@code body} between its reader and writer index; never throws on bad input. */
    static ClientHello parse(ByteBuf body) {
        if (body == null) {
            return NONE;
        }
        try {
            return parse(body, body.readerIndex(), body.writerIndex());
        } catch (IndexOutOfBoundsException | MalformedException e) {
            return NONE;
        }
    }

    private static ClientHello parse(ByteBuf in, int offset, int end) {
        offset += FIXED_PREFIX;
        offset = skip(in, offset, end, 1);   // legacy_session_id<0..32>
        offset = skip(in, offset, end, 2);   // cipher_suites<2..2^16-2>
        offset = skip(in, offset, end, 1);   // legacy_compression_methods<1..2^8-1>
        if (offset == end) {
            return NONE;                     // no extensions at all (allowed before TLS 1.3)
        }
        int extensionsEnd = vectorEnd(in, offset, end, 2);
        offset += 2;
        String serverName = null;
        List<String> protocols = List.of();
        while (offset < extensionsEnd) {
            int type = in.getUnsignedShort(offset);
            int dataEnd = vectorEnd(in, offset + 2, extensionsEnd, 2);
            int data = offset + 4;
            if (type == SERVER_NAME) {
                serverName = serverName(in, data, dataEnd);
            } else if (type == ALPN) {
                protocols = protocols(in, data, dataEnd);
            }
            offset = dataEnd;
        }
        return new ClientHello(serverName, protocols);
    }

    /** ServerNameList: the first host_name entry (RFC 6066 allows one of each type). */
    private static String serverName(ByteBuf in, int offset, int end) {
        int listEnd = vectorEnd(in, offset, end, 2);
        offset += 2;
        while (offset < listEnd) {
            int type = in.getUnsignedByte(offset);
            int nameEnd = vectorEnd(in, offset + 1, listEnd, 2);
            if (type == HOST_NAME) {
                return in.toString(offset + 3, nameEnd - offset - 3, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
            }
            offset = nameEnd;
        }
        return null;
    }

    /** ProtocolNameList: ProtocolName protocol_name_list<2..2^16-1>, each ProtocolName <1..2^8-1>. */
    private static List<String> protocols(ByteBuf in, int offset, int end) {
        int listEnd = vectorEnd(in, offset, end, 2);
        offset += 2;
        List<String> names = new ArrayList<>();
        while (offset < listEnd) {
            int nameEnd = vectorEnd(in, offset, listEnd, 1);
            if (nameEnd == offset + 1) {
                throw new MalformedException();      // empty names are not allowed (RFC 7301 §3.1)
            }
            names.add(in.toString(offset + 1, nameEnd - offset - 1, StandardCharsets.US_ASCII));
            offset = nameEnd;
        }
        return List.copyOf(names);
    }

    private static int skip(ByteBuf in, int offset, int end, int lengthBytes) {
        return vectorEnd(in, offset, end, lengthBytes);
    }

    /** The end of the vector whose length prefix of {@code lengthBytes} starts at {@code offset}, within {@code end}. */
    private static int vectorEnd(ByteBuf in, int offset, int end, int lengthBytes) {
        if (offset + lengthBytes > end) {
            throw new MalformedException();
        }
        int length = lengthBytes == 1 ? in.getUnsignedByte(offset) : in.getUnsignedShort(offset);
        int vectorEnd = offset + lengthBytes + length;
        if (vectorEnd > end) {
            throw new MalformedException();
        }
        return vectorEnd;
    }

    private static final class MalformedException extends RuntimeException {
        MalformedException() {
            super(null, null, false, false);
        }
    }
}
