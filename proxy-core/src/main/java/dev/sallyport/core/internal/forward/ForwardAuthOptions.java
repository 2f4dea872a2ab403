package dev.sallyport.core.internal.forward;

import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.Cidr;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * The forward-auth listener a builder asked for: where, and whose {@code X-Forwarded-For} to
 * believe. Loads no HTTP codec class, so a builder without netty-codec-http can still say why.
 */
public record ForwardAuthOptions(InetSocketAddress address, List<Cidr> trusted) {

    static final String CODEC = "io.netty.handler.codec.http.HttpServerCodec";

    public ForwardAuthOptions {
        trusted = List.copyOf(trusted);
    }

    /** Validates the builder's arguments, each the moment it is given. */
    public static ForwardAuthOptions of(InetSocketAddress address, String... trustedCidrs) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("forwardAuth: " + address + " (expected: an IP address, not a name to look up)");
        }
        List<Cidr> trusted = ForwardAuthCheck.trusted("forwardAuth", trustedCidrs);
        if (!address.getAddress().isLoopbackAddress() && trusted.isEmpty()) {
            throw new IllegalArgumentException("forwardAuth: " + Addresses.format(address) + " is beyond loopback with no trusted callers "
                    + "(expected: the reverse proxies' CIDRs, which alone get answers, or a loopback address)");
        }
        try {
            Class.forName(CODEC, false, ForwardAuthOptions.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("forwardAuth: io.netty:netty-codec-http is not on the class path "
                    + "(expected: add proxy-http or netty-codec-http)", e);
        }
        return new ForwardAuthOptions(address, trusted);
    }
}
