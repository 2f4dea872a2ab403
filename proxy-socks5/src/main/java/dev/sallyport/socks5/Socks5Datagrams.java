package dev.sallyport.socks5;

import dev.sallyport.core.spi.DatagramCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The UDP request header of RFC 1928 section 7: {@code RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA}.
 * Fragments (FRAG other than 0) are dropped, as the RFC allows an implementation that does not
 * reassemble to do. Stateless.
 */
final class Socks5Datagrams implements DatagramCodec {

    static final Socks5Datagrams INSTANCE = new Socks5Datagrams();

    /** Drop reasons, bounded, for metrics. */
    static final String FRAGMENT = "udp-fragment";
    static final String MALFORMED = "udp-malformed";

    private Socks5Datagrams() {
    }

    @Override
    public Decoded decode(ByteBuf datagram) {
        int start = datagram.readerIndex();
        int readable = datagram.readableBytes();
        if (readable < 4) {
            return Decoded.drop(MALFORMED);
        }
        if (datagram.getUnsignedByte(start + 2) != 0) {
            return Decoded.drop(FRAGMENT);
        }
        String host;
        int length;
        switch (datagram.getUnsignedByte(start + 3)) {
            case Socks5.ATYP_IPV4 -> {
                length = 4 + 4 + 2;
                if (readable < length) {
                    return Decoded.drop(MALFORMED);
                }
                host = datagram.getUnsignedByte(start + 4) + "." + datagram.getUnsignedByte(start + 5) + "."
                        + datagram.getUnsignedByte(start + 6) + "." + datagram.getUnsignedByte(start + 7);
            }
            case Socks5.ATYP_IPV6 -> {
                length = 4 + 16 + 2;
                if (readable < length) {
                    return Decoded.drop(MALFORMED);
                }
                byte[] raw = new byte[16];
                datagram.getBytes(start + 4, raw);
                host = NetUtil.bytesToIpAddress(raw);
            }
            case Socks5.ATYP_DOMAIN -> {
                if (readable < 5) {
                    return Decoded.drop(MALFORMED);
                }
                int nameLength = datagram.getUnsignedByte(start + 4);
                length = 5 + nameLength + 2;
                if (nameLength == 0 || readable < length) {
                    return Decoded.drop(MALFORMED);
                }
                host = datagram.toString(start + 5, nameLength, StandardCharsets.US_ASCII);
                if (!Socks5Handshake.validName(host)) {
                    return Decoded.drop(MALFORMED);
                }
            }
            default -> {
                return Decoded.drop(MALFORMED);
            }
        }
        int port = datagram.getUnsignedShort(start + length - 2);
        if (port == 0) {
            return Decoded.drop(MALFORMED);
        }
        datagram.skipBytes(length);
        return Decoded.to(host, port);
    }

    @Override
    public ByteBuf header(ByteBufAllocator alloc, InetSocketAddress source) {
        InetAddress address = source.getAddress();
        boolean ipv6 = address instanceof Inet6Address;
        ByteBuf header = alloc.buffer(ipv6 ? 22 : 10).writeShort(0).writeByte(0)
                .writeByte(ipv6 ? Socks5.ATYP_IPV6 : Socks5.ATYP_IPV4);
        return header.writeBytes(address.getAddress()).writeShort(source.getPort());
    }
}
