package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Wire constants and reply encoding of RFC 1928 and RFC 1929. */
final class Socks5 {

    static final int VERSION = 0x05;
    /** RFC 1929 section 2: the sub-negotiation version. */
    static final int AUTH_VERSION = 0x01;

    static final int METHOD_NO_AUTH = 0x00;
    static final int METHOD_PASSWORD = 0x02;
    static final int METHOD_NONE_ACCEPTABLE = 0xFF;

    static final int CMD_CONNECT = 0x01;
    static final int CMD_BIND = 0x02;
    static final int CMD_UDP_ASSOCIATE = 0x03;

    static final int ATYP_IPV4 = 0x01;
    static final int ATYP_DOMAIN = 0x03;
    static final int ATYP_IPV6 = 0x04;

    /** RFC 1928 section 6 reply codes. */
    static final int REP_SUCCEEDED = 0x00;
    static final int REP_GENERAL_FAILURE = 0x01;
    static final int REP_NOT_ALLOWED = 0x02;
    static final int REP_NETWORK_UNREACHABLE = 0x03;
    static final int REP_HOST_UNREACHABLE = 0x04;
    static final int REP_CONNECTION_REFUSED = 0x05;
    static final int REP_TTL_EXPIRED = 0x06;
    static final int REP_COMMAND_NOT_SUPPORTED = 0x07;
    static final int REP_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

    /** RFC 1929 section 2: any status other than 0x00 is a failure. */
    static final int AUTH_SUCCESS = 0x00;
    static final int AUTH_FAILURE = 0x01;

    private Socks5() {
    }

    /** The REP code for an outcome of core's admission or dial. */
    static int reply(Outcome outcome) {
        return switch (outcome) {
            case DENIED, LIMITED, AUTH_FAILED -> REP_NOT_ALLOWED;
            case NETWORK_UNREACHABLE -> REP_NETWORK_UNREACHABLE;
            case HOST_UNREACHABLE, DNS_FAILED -> REP_HOST_UNREACHABLE;
            case CONNECTION_REFUSED -> REP_CONNECTION_REFUSED;
            case CONNECT_TIMEOUT -> REP_TTL_EXPIRED;
            case UNSUPPORTED_COMMAND -> REP_COMMAND_NOT_SUPPORTED;
            case UNSUPPORTED_ADDRESS -> REP_ADDRESS_TYPE_NOT_SUPPORTED;
            default -> REP_GENERAL_FAILURE;
        };
    }

    /** Method selection message: VER METHOD. */
    static ByteBuf methodSelection(ByteBufAllocator alloc, int method) {
        return alloc.buffer(2).writeByte(VERSION).writeByte(method);
    }

    /** RFC 1929 status message: VER STATUS. */
    static ByteBuf authStatus(ByteBufAllocator alloc, int status) {
        return alloc.buffer(2).writeByte(AUTH_VERSION).writeByte(status);
    }

    /** A reply: VER REP RSV ATYP BND.ADDR BND.PORT; {@code bound} null means 0.0.0.0:0. */
    static ByteBuf reply(ByteBufAllocator alloc, int rep, InetSocketAddress bound) {
        InetAddress address = bound == null ? null : bound.getAddress();
        if (address instanceof Inet6Address) {
            return alloc.buffer(22).writeByte(VERSION).writeByte(rep).writeByte(0).writeByte(ATYP_IPV6)
                    .writeBytes(address.getAddress()).writeShort(bound.getPort());
        }
        ByteBuf buf = alloc.buffer(10).writeByte(VERSION).writeByte(rep).writeByte(0).writeByte(ATYP_IPV4);
        if (address instanceof Inet4Address) {
            buf.writeBytes(address.getAddress()).writeShort(bound.getPort());
        } else {
            buf.writeInt(0).writeShort(0);
        }
        return buf;
    }
}
