package dev.sallyport.core.internal.net;

import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/** Address helpers: parsing without DNS, and classification for the default rules. */
public final class Addresses {

    private Addresses() {
    }

    /** Parses a bind address: an IP literal or {@code localhost}; never looks a name up. */
    public static InetAddress parseBindAddress(String text) {
        if ("localhost".equalsIgnoreCase(text)) {
            return InetAddress.getLoopbackAddress();
        }
        String literal = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(literal);
        if (address == null) {
            throw new IllegalArgumentException("bind: '" + text
                    + "' (expected: an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or localhost)");
        }
        return address;
    }

    /** The address an IP literal denotes, or {@code null} when {@code host} is a name. */
    public static InetAddress literal(String host) {
        String literal = host.length() > 1 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']'
                ? host.substring(1, host.length() - 1) : host;
        return NetUtil.createInetAddressFromIpAddressString(literal);
    }

    /** 169.254.0.0/16 and fe80::/10, IPv4-mapped forms included. */
    public static boolean isLinkLocal(InetAddress address) {
        return unmapped(address).isLinkLocalAddress();
    }

    /**
     * An IPv4-mapped ({@code ::ffff:a.b.c.d}) or IPv4-compatible ({@code ::a.b.c.d}, in
     * {@code ::/96}) IPv6 address as its IPv4 address; anything else, {@code ::} and {@code ::1}
     * included, unchanged. IPv4-compatible addresses are deprecated (RFC 4291 section 2.5.5.1), but
     * a SOCKS5 client can still send one in binary (ATYP 4), where no text parser maps it.
     */
    public static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] ipv4 = ipv4Inside(address.getAddress());
            if (ipv4 != null) {
                try {
                    return InetAddress.getByAddress(ipv4);
                } catch (java.net.UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return address;
    }

    /**
     * The IPv4 address carried inside an IPv6 address: IPv4-mapped ({@code ::ffff:a.b.c.d}),
     * IPv4-compatible ({@code ::a.b.c.d} in {@code ::/96}, but not {@code ::} or {@code ::1}), NAT64
     * well-known ({@code 64:ff9b::a.b.c.d}) or 6to4 ({@code 2002:AABB:CCDD::}); else null.
     */
    public static byte[] embeddedIpv4(byte[] raw) {
        if (raw.length != 16) {
            return null;
        }
        byte[] inside = ipv4Inside(raw);
        if (inside != null) {
            return inside;
        }
        boolean nat64 = raw[0] == 0 && raw[1] == 0x64 && raw[2] == (byte) 0xff && raw[3] == (byte) 0x9b;
        for (int i = 4; i < 12 && nat64; i++) {
            nat64 = raw[i] == 0;
        }
        if (nat64) {
            return Arrays.copyOfRange(raw, 12, 16);
        }
        if (raw[0] == 0x20 && raw[1] == 0x02) {
            return Arrays.copyOfRange(raw, 2, 6);
        }
        return null;
    }

    /** The IPv4 address of an IPv4-mapped or IPv4-compatible IPv6 address (not :: or ::1); else null. */
    private static byte[] ipv4Inside(byte[] raw) {
        if (raw.length != 16) {
            return null;
        }
        for (int i = 0; i < 10; i++) {
            if (raw[i] != 0) {
                return null;
            }
        }
        boolean mapped = raw[10] == (byte) 0xff && raw[11] == (byte) 0xff;
        boolean compatible = raw[10] == 0 && raw[11] == 0
                && (raw[12] != 0 || raw[13] != 0 || raw[14] != 0 || (raw[15] & 0xfe) != 0);
        return mapped || compatible ? Arrays.copyOfRange(raw, 12, 16) : null;
    }

    /** Every address of this host, loopback included; used to recognise the proxy's own sockets. */
    public static Set<InetAddress> localAddresses() {
        Set<InetAddress> result = new HashSet<>();
        result.add(InetAddress.getLoopbackAddress());
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress address : Collections.list(nif.getInetAddresses())) {
                    result.add(withoutScope(address));
                }
            }
        } catch (SocketException e) {
            // Loopback alone still catches the common loop; the rule stays conservative.
        }
        return Set.copyOf(result);
    }

    public static InetAddress withoutScope(InetAddress address) {
        if (address instanceof Inet6Address a6 && a6.getScopeId() != 0) {
            try {
                return InetAddress.getByAddress(a6.getAddress());
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        return address;
    }

    /** {@code host:port} with brackets for IPv6, for messages and the standalone output. */
    public static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        String host = NetUtil.toAddressString(ip);
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    static boolean isIpv4(InetAddress address) {
        return address instanceof Inet4Address;
    }
}
