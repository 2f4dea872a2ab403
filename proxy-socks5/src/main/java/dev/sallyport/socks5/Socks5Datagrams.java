package dev.sallyport.socks5;

import dev.sallyport.core.spi.DatagramCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;

import java.net.InetSocketAddress;

/**
 * The UDP request header of RFC 1928 section 7: {@code RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA},
 * its address read and written by {@link Socks5Address}, as in requests and replies. Fragments
 * (FRAG other than 0) are dropped, as the RFC allows an implementation that does not reassemble
 * to do; so are a malformed address and port 0. Stateless.
 */
final class Socks5Datagrams implements DatagramCodec {

    static final Socks5Datagrams INSTANCE = new Socks5Datagrams();

    /** Drop reasons, bounded, for metrics. */
    static final String FRAGMENT = "udp-fragment";
    static final String MALFORMED = "udp-malformed";

    /** RSV FRAG ATYP and the longest address (IPv6) and port. */
    private static final int MAX_REPLY_HEADER = 3 + 1 + 16 + 2;

    private Socks5Datagrams() {
    }

    @Override
    public Decoded decode(ByteBuf datagram) {
        int start = datagram.readerIndex();
        if (datagram.readableBytes() < 4) {
            return Decoded.drop(MALFORMED);
        }
        if (datagram.getUnsignedByte(start + 2) != 0) {
            return Decoded.drop(FRAGMENT);
        }
        Socks5AddressType type = Socks5AddressType.valueOf(datagram.getByte(start + 3));
        datagram.skipBytes(4);
        String host;
        try {
            host = Socks5Address.CODEC.decodeAddress(type, datagram);
        } catch (DecoderException malformed) {
            return Decoded.drop(MALFORMED);
        }
        if (datagram.readableBytes() < 2) {
            return Decoded.drop(MALFORMED);
        }
        int port = datagram.readUnsignedShort();
        return port == 0 ? Decoded.drop(MALFORMED) : Decoded.to(host, port);
    }

    @Override
    public ByteBuf header(ByteBufAllocator alloc, InetSocketAddress source) {
        ByteBuf header = alloc.buffer(MAX_REPLY_HEADER).writeShort(0).writeByte(0);
        Socks5Address.encode(source, header);
        return header;
    }
}
