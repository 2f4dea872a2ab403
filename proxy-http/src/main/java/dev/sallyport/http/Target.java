package dev.sallyport.http;

import dev.sallyport.core.spi.HostNames;
import io.netty.util.NetUtil;

import java.util.Locale;

/**
 * Where a request goes, parsed from a CONNECT authority-form or an absolute-form request target
 * (RFC 9112 section 3.2). Parsing never throws: {@code null} means malformed.
 *
 * @param scheme    lowercase scheme, {@code null} for CONNECT
 * @param host      host name or IP literal, without brackets
 * @param port      1 to 65535 (0 for a scheme without a known default port and none given)
 * @param authority host and port as they go into the {@code Host} header
 * @param path      origin-form path and query ({@code /} when empty), {@code null} for CONNECT
 */
record Target(String scheme, String host, int port, String authority, String path) {


    /** {@code host:port} of a CONNECT request; the port is required. */
    static Target authority(String value) {
        HostPort hp = hostPort(value, -1);
        return hp == null ? null : new Target(null, hp.host, hp.port, value, null);
    }

    /**
     * {@code scheme://authority[path][?query]}; the fragment is dropped. Returns {@code null}
     * for anything else, including user info in the authority (RFC 9110 section 4.2.4) and a
     * character outside visible ASCII after the authority (RFC 9112 section 3.2: a 400).
     */
    static Target absolute(String uri) {
        int colon = uri.indexOf("://");
        if (colon <= 0) {
            return null;
        }
        String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
        for (int i = 0; i < scheme.length(); i++) {
            char c = scheme.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
            if (!ok) {
                return null;
            }
        }
        int start = colon + 3;
        int end = start;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String authority = uri.substring(start, end);
        if (authority.indexOf('@') >= 0) {
            return null;
        }
        int defaultPort = "http".equals(scheme) ? 80 : "https".equals(scheme) ? 443 : 0;
        HostPort hp = hostPort(authority, defaultPort);
        if (hp == null) {
            return null;
        }
        for (int i = end; i < uri.length(); i++) {
            // RFC 3986 characters only: Netty reads the line as ISO-8859-1 and writes it as UTF-8,
            // so a byte above 0x7F would reach the origin as two others (found by fuzzing).
            char c = uri.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return null;
            }
        }
        int fragment = uri.indexOf('#', end);
        String path = uri.substring(end, fragment < 0 ? uri.length() : fragment);
        if (path.isEmpty()) {
            path = "/";
        } else if (path.charAt(0) == '?') {
            path = "/" + path;
        }
        return new Target(scheme, hp.host, hp.port, authority, path);
    }

    private record HostPort(String host, int port) {
    }

    /** {@code host[:port]} or {@code [v6][:port]}; {@code defaultPort} -1 makes the port required. */
    private static HostPort hostPort(String value, int defaultPort) {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = value.substring(1, close);
            if (!NetUtil.isValidIpV6Address(host)) {
                return null;
            }
            String rest = value.substring(close + 1);
            if (rest.isEmpty()) {
                port = null;
            } else if (rest.charAt(0) == ':') {
                port = rest.substring(1);
            } else {
                return null;
            }
        } else {
            int colon = value.lastIndexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
            if (!HostNames.isValid(host)) {
                return null;
            }
        }
        int number;
        if (port == null || port.isEmpty()) {
            if (defaultPort < 0) {
                return null;
            }
            number = defaultPort;
        } else {
            number = parsePort(port);
        }
        // 0 only stands for "no default port" of a scheme this proxy does not forward anyway.
        return number < 0 ? null : new HostPort(host, number);
    }

    private static int parsePort(String port) {
        if (port.length() > 5) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < port.length(); i++) {
            char c = port.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value < 1 || value > 65535 ? -1 : value;
    }
}
