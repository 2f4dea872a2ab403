package dev.sallyport.testkit;

import io.netty.util.NetUtil;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** The SOCKS5 address field (RFC 1928 section 5): ATYP, the address, the port. */
final class Socks5Wire {

    static final int ATYP_IPV4 = 0x01;
    static final int ATYP_DOMAIN = 0x03;
    static final int ATYP_IPV6 = 0x04;

    private Socks5Wire() {
    }

    /** An IP literal as IPv4 or IPv6, anything else as a domain name. */
    static void writeAddress(ByteArrayOutputStream out, String host, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(literal);
        if (ip != null) {
            out.write(ip.length == 4 ? ATYP_IPV4 : ATYP_IPV6);
            out.writeBytes(ip);
        } else {
            byte[] name = host.getBytes(StandardCharsets.UTF_8);
            if (name.length > 255) {
                throw new IllegalArgumentException("host: " + name.length + " bytes (expected: at most 255)");
            }
            out.write(ATYP_DOMAIN);
            out.write(name.length);
            out.writeBytes(name);
        }
        out.write(port >> 8);
        out.write(port);
    }

    /** Reads ATYP, address and port; a domain name comes back unresolved. */
    static InetSocketAddress readAddress(DataInput in) throws IOException {
        int atyp = in.readUnsignedByte();
        InetSocketAddress address;
        switch (atyp) {
            case ATYP_IPV4, ATYP_IPV6 -> {
                byte[] ip = new byte[atyp == ATYP_IPV4 ? 4 : 16];
                in.readFully(ip);
                address = new InetSocketAddress(InetAddress.getByAddress(ip), in.readUnsignedShort());
            }
            case ATYP_DOMAIN -> {
                byte[] name = new byte[in.readUnsignedByte()];
                in.readFully(name);
                address = InetSocketAddress.createUnresolved(new String(name, StandardCharsets.UTF_8), in.readUnsignedShort());
            }
            default -> throw new IOException("ATYP: " + atyp + " (expected: 1, 3 or 4)");
        }
        return address;
    }
}
