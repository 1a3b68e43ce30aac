package dev.turnbridge.config;

/**
 * The text forms of IP addresses: IPv4 dotted quad (RFC 791, four decimal parts) and IPv6 groups with
 * {@code ::} and an optional trailing dotted quad (RFC 4291 §2.2). Parsed by hand so that no string ever
 * reaches {@code InetAddress.getByName}, which would resolve anything that is not a literal through DNS.
 * Zone ids ({@code fe80::1%eth0}), brackets, and the legacy short and octal IPv4 forms are refused.
 */
public final class IpLiteral {

    private IpLiteral() {
    }

    /**
     * The address {@code text} spells (IPv4-mapped IPv6 text comes back as IPv4, as from the JDK);
     * IllegalArgumentException with the reason when it is not a literal.
     */
    public static java.net.InetAddress address(String text) {
        try {
            return java.net.InetAddress.getByAddress(bytes(text));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The 4 or 16 address bytes of {@code text}; IllegalArgumentException with the reason otherwise. */
    public static byte[] bytes(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (text.indexOf(':') >= 0) {
            return ipv6(text);
        }
        int v4 = ipv4(text, 0, text.length());
        return new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    }

    /** Whether {@code text} is an IPv4 or IPv6 literal. */
    public static boolean isValid(String text) {
        try {
            bytes(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int ipv4(String s, int from, int to) {
        int address = 0;
        int parts = 0;
        int i = from;
        while (true) {
            int start = i;
            int value = 0;
            while (i < to && i - start < 4 && isDigit(s.charAt(i))) {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start) {
                throw new IllegalArgumentException(unexpected(s, i, "a decimal part of an IPv4 address"));
            }
            if (i - start > 3 || value > 255) {
                throw new IllegalArgumentException("IPv4 part " + s.substring(start, i) + " exceeds 255");
            }
            if (i - start > 1 && s.charAt(start) == '0') {
                // inet_aton would read these as octal; refuse rather than guess.
                throw new IllegalArgumentException("IPv4 part " + s.substring(start, i) + " has a leading zero");
            }
            address = address << 8 | value;
            parts++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != '.' || parts == 4) {
                throw new IllegalArgumentException(unexpected(s, i, parts == 4 ? "the end" : "'.'"));
            }
            i++;
        }
        if (parts != 4) {
            throw new IllegalArgumentException("IPv4 address needs four parts, found " + parts);
        }
        return address;
    }

    private static byte[] ipv6(String s) {
        int[] groups = new int[8];
        int count = 0;
        int gap = -1; // index in groups where '::' stands, or -1
        int len = s.length();
        int i = 0;
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
        }
        while (i < len) {
            int start = i;
            while (i < len && Character.digit(s.charAt(i), 16) >= 0) {
                i++;
            }
            if (i < len && s.charAt(i) == '.') {
                if (count > 6) {
                    throw new IllegalArgumentException("IPv6 address has too many groups");
                }
                int v4 = ipv4(s, start, len);
                groups[count++] = v4 >>> 16;
                groups[count++] = v4 & 0xffff;
                i = len;
                break;
            }
            if (i == start) {
                throw new IllegalArgumentException(unexpected(s, i, "a hex group"));
            }
            if (i - start > 4) {
                throw new IllegalArgumentException("IPv6 group " + s.substring(start, i) + " is longer than 4 digits");
            }
            if (count == 8) {
                throw new IllegalArgumentException("IPv6 address has too many groups");
            }
            groups[count++] = Integer.parseInt(s, start, i, 16);
            if (i == len) {
                break;
            }
            if (s.charAt(i) != ':') {
                throw new IllegalArgumentException(unexpected(s, i, "':'"));
            }
            i++;
            if (i < len && s.charAt(i) == ':') {
                if (gap >= 0) {
                    throw new IllegalArgumentException("'::' appears twice");
                }
                gap = count;
                i++;
            } else if (i == len) {
                throw new IllegalArgumentException("IPv6 address ends with a single ':'");
            }
        }
        if (gap < 0 && count != 8) {
            throw new IllegalArgumentException("IPv6 address needs 8 groups or '::', found " + count);
        }
        if (gap >= 0 && count > 7) {
            throw new IllegalArgumentException("'::' must stand for at least one group");
        }
        byte[] bytes = new byte[16];
        int tail = count - Math.max(gap, 0);
        for (int g = 0; g < count; g++) {
            int slot = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
            bytes[2 * slot] = (byte) (groups[g] >>> 8);
            bytes[2 * slot + 1] = (byte) groups[g];
        }
        return bytes;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String unexpected(String s, int i, String expected) {
        if (i >= s.length()) {
            return "address ends early (expected: " + expected + ")";
        }
        char c = s.charAt(i);
        if (c == '%') {
            return "zone ids are not allowed";
        }
        return "unexpected '" + c + "' at " + i + " (expected: " + expected + ")";
    }
}
