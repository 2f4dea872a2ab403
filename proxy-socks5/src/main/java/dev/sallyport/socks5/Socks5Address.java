package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.spi.HostNames;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.socksx.v5.Socks5AddressDecoder;
import io.netty.handler.codec.socksx.v5.Socks5AddressEncoder;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.util.NetUtil;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The SOCKS5 address field (RFC 1928 section 5), the one reader and writer of it in this module:
 * requests decode through it inside Netty's {@code Socks5CommandRequestDecoder}, replies encode
 * through it inside {@code Socks5ServerEncoder}, and {@link Socks5Datagrams} uses it for the UDP
 * header. Reads never pass the end of the buffer: inside a {@code ReplayingDecoder} a short read
 * replays once more bytes came; on a plain buffer (a datagram, or input that ended) it is refused.
 * A host name must pass {@link HostNames} as the client sent it, before Netty's message type sees
 * it. Refusals are {@link Refused} decoder exceptions that carry the outcome a request reports.
 */
final class Socks5Address implements Socks5AddressDecoder, Socks5AddressEncoder {

    static final Socks5Address CODEC = new Socks5Address();

    private static final byte IPV4 = Socks5AddressType.IPv4.byteValue();
    private static final byte DOMAIN = Socks5AddressType.DOMAIN.byteValue();
    private static final byte IPV6 = Socks5AddressType.IPv6.byteValue();

    private Socks5Address() {
    }

    @Override
    public String decodeAddress(Socks5AddressType type, ByteBuf in) {
        byte atyp = type.byteValue();
        if (atyp == IPV4) {
            need(in, 4);
            return NetUtil.intToIpAddress(in.readInt());
        }
        if (atyp == IPV6) {
            need(in, 16);
            byte[] raw = new byte[16];
            in.readBytes(raw);
            return NetUtil.bytesToIpAddress(raw);
        }
        if (atyp != DOMAIN) {
            throw new Refused(Outcome.UNSUPPORTED_ADDRESS, "address type: " + (atyp & 0xff) + " (expected: 1, 3 or 4)");
        }
        need(in, 1);
        int length = in.readUnsignedByte();
        if (length == 0) {
            throw new Refused(Outcome.PROTOCOL_ERROR, "host name: empty (expected: 1-255 bytes)");
        }
        need(in, length);
        String host = in.toString(in.readerIndex(), length, StandardCharsets.US_ASCII);
        in.skipBytes(length);
        if (!validName(host)) {
            // Not a name any resolver could answer for: the host is unreachable.
            throw new Refused(Outcome.DNS_FAILED, "host name: " + length + " bytes (expected: a DNS name or an IP literal)");
        }
        return host;
    }

    /** In a replaying buffer this always passes (the read itself replays); elsewhere it checks. */
    private static void need(ByteBuf in, int bytes) {
        if (!in.isReadable(bytes)) {
            throw new Refused(Outcome.PROTOCOL_ERROR, "address: truncated (expected: " + bytes + " more bytes)");
        }
    }

    @Override
    public void encodeAddress(Socks5AddressType type, String address, ByteBuf out) {
        byte atyp = type.byteValue();
        if (atyp == DOMAIN) {
            out.writeByte(address == null ? 0 : address.length());
            if (address != null) {
                out.writeCharSequence(address, StandardCharsets.US_ASCII);
            }
        } else if (atyp == IPV4 || atyp == IPV6) {
            // A message type checked the literal when it was made; null is the unspecified address.
            if (address == null) {
                out.writeZero(atyp == IPV4 ? 4 : 16);
            } else {
                out.writeBytes(NetUtil.createByteArrayFromIpAddressString(address));
            }
        } else {
            throw new EncoderException("address type: " + (atyp & 0xff) + " (expected: 1, 3 or 4)");
        }
    }

    /** ATYP, address and port of a resolved address, written from its bytes (UDP reply headers). */
    static void encode(InetSocketAddress address, ByteBuf out) {
        InetAddress ip = address.getAddress();
        out.writeByte(typeOf(ip).byteValue()).writeBytes(ip.getAddress()).writeShort(address.getPort());
    }

    static Socks5AddressType typeOf(InetAddress ip) {
        return ip instanceof Inet6Address ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
    }

    /** A host name (see {@link HostNames#isValid}) or an IP literal: the rule for SOCKS4a names too. */
    static boolean validName(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) || HostNames.isValid(host);
    }

    /**
     * An address field refused, with the outcome a request reports for it. No stack trace: hostile
     * input is routine, and the decoder result carries this exception, not a log line.
     */
    static final class Refused extends DecoderException {
        private static final long serialVersionUID = 1L;

        private final Outcome outcome;

        Refused(Outcome outcome, String message) {
            super(message);
            this.outcome = outcome;
        }

        Outcome outcome() {
            return outcome;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
