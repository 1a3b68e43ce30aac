package dev.turnbridge.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IPv4 and IPv6 literals, parsed without name resolution. The syntax is checked before
 * {@link InetAddress#getByName} is called, so that call can only take its literal path: a dotted quad, or a
 * string of hex digits, colons and dots that contains a colon (which the JDK never sends to DNS).
 */
final class IpLiteral {
    // Leading zeros are refused: some stacks read "010" as octal.
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern V4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private IpLiteral() {
    }

    /** Parses an IP literal; throws {@link IllegalArgumentException} for anything else (including host names). */
    static InetAddress parse(String text) {
        if (text == null || !(V4.matcher(text).matches() || V6.matcher(text).matches())) {
            throw new IllegalArgumentException("not an IP literal");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal");
        }
    }

    static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isIpv6Syntax(String text) {
        return text.indexOf(':') >= 0;
    }
}
