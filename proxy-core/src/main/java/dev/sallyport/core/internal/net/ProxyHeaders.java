package dev.sallyport.core.internal.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the PROXY protocol header written towards a target
 * (<a href="https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt">spec</a> 2.1 and 2.2):
 * always the PROXY command over TCP. Both addresses of a header share a family, so an IPv4
 * address next to an IPv6 one is written IPv4-mapped.
 */
public final class ProxyHeaders {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** Version 2, command PROXY. */
    private static final int V2_PROXY = 0x21;
    private static final int TCP4 = 0x11;
    private static final int TCP6 = 0x21;

    private ProxyHeaders() {
    }

    /** The header of {@code version} (1 or 2) for a connection from {@code source} to {@code destination}. */
    public static ByteBuf encode(int version, InetSocketAddress source, InetSocketAddress destination,
                                 ByteBufAllocator alloc) {
        byte[] from = Addresses.unmapped(source.getAddress()).getAddress();
        byte[] to = Addresses.unmapped(destination.getAddress()).getAddress();
        if (from.length != to.length) {
            from = mapped(from);
            to = mapped(to);
        }
        boolean ipv4 = from.length == 4;
        if (version == 1) {
            String line = "PROXY " + (ipv4 ? "TCP4 " : "TCP6 ") + text(from) + ' ' + text(to) + ' ' + source.getPort()
                    + ' ' + destination.getPort() + "\r\n";
            return alloc.buffer(line.length()).writeBytes(line.getBytes(StandardCharsets.US_ASCII));
        }
        int addresses = 2 * from.length + 4;
        ByteBuf header = alloc.buffer(16 + addresses);
        header.writeBytes(V2_SIGNATURE).writeByte(V2_PROXY).writeByte(ipv4 ? TCP4 : TCP6).writeShort(addresses)
                .writeBytes(from).writeBytes(to).writeShort(source.getPort()).writeShort(destination.getPort());
        return header;
    }

    private static byte[] mapped(byte[] address) {
        if (address.length == 16) {
            return address;
        }
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(address, 0, v6, 12, 4);
        return v6;
    }

    private static String text(byte[] address) {
        return NetUtil.bytesToIpAddress(address);
    }
}
