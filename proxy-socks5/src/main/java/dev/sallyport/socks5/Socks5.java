package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The replies of RFC 1928 and RFC 1929 as Netty's message types. The fixed ones are shared
 * instances: outbound messages are immutable and not reference counted.
 */
final class Socks5 {

    static final Socks5InitialResponse NO_AUTH = new DefaultSocks5InitialResponse(Socks5AuthMethod.NO_AUTH);
    static final Socks5InitialResponse PASSWORD = new DefaultSocks5InitialResponse(Socks5AuthMethod.PASSWORD);
    /** RFC 1928 section 3: X'FF', after which the client must close (and we close too). */
    static final Socks5InitialResponse NO_ACCEPTABLE_METHOD = new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED);

    static final Socks5PasswordAuthResponse AUTH_SUCCESS =
            new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS);
    /**
     * RFC 1929 section 2: any status but X'00' fails. We send X'01', as we always did (the tests pin
     * it); Netty's {@code Socks5PasswordAuthStatus.FAILURE} is X'FF'.
     */
    static final Socks5PasswordAuthResponse AUTH_FAILURE =
            new DefaultSocks5PasswordAuthResponse(new Socks5PasswordAuthStatus(0x01, "FAILURE"));

    private Socks5() {
    }

    /** The REP code (RFC 1928 section 6) for an outcome of core's admission or dial. */
    static Socks5CommandStatus status(Outcome outcome) {
        return switch (outcome) {
            case DENIED, LIMITED, AUTH_FAILED -> Socks5CommandStatus.FORBIDDEN;
            case NETWORK_UNREACHABLE -> Socks5CommandStatus.NETWORK_UNREACHABLE;
            case HOST_UNREACHABLE, DNS_FAILED -> Socks5CommandStatus.HOST_UNREACHABLE;
            case CONNECTION_REFUSED -> Socks5CommandStatus.CONNECTION_REFUSED;
            case CONNECT_TIMEOUT -> Socks5CommandStatus.TTL_EXPIRED;
            case UNSUPPORTED_COMMAND -> Socks5CommandStatus.COMMAND_UNSUPPORTED;
            case UNSUPPORTED_ADDRESS -> Socks5CommandStatus.ADDRESS_UNSUPPORTED;
            default -> Socks5CommandStatus.FAILURE;
        };
    }

    /** A reply: REP and BND.ADDR/BND.PORT; {@code bound} null (a refusal) means 0.0.0.0:0. */
    static Socks5CommandResponse reply(Socks5CommandStatus status, InetSocketAddress bound) {
        InetAddress address = bound == null ? null : bound.getAddress();
        if (address == null) {
            return new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4);
        }
        return new DefaultSocks5CommandResponse(status, Socks5Address.typeOf(address), NetUtil.toAddressString(address),
                bound.getPort());
    }
}
