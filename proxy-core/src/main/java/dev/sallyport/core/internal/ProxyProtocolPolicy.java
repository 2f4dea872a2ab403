package dev.sallyport.core.internal;

import dev.sallyport.core.ProxyProtocolMode;
import dev.sallyport.core.internal.policy.Cidr;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** PROXY protocol on one listener: the mode and the sources whose headers are believed. */
public record ProxyProtocolPolicy(ProxyProtocolMode mode, List<Cidr> trusted) {

    public ProxyProtocolPolicy {
        Objects.requireNonNull(mode, "mode");
        trusted = List.copyOf(trusted);
    }

    /** Parses the builder's arguments; {@code setting} names the builder method in messages. */
    public static ProxyProtocolPolicy of(String setting, ProxyProtocolMode mode, String... trustedCidrs) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(trustedCidrs, "trustedCidrs");
        if (trustedCidrs.length == 0) {
            throw new IllegalArgumentException(setting + ": no trusted sources (expected: at least one CIDR, "
                    + "e.g. the load balancers' 10.0.0.0/24)");
        }
        return new ProxyProtocolPolicy(mode, Arrays.stream(trustedCidrs).map(c -> Cidr.parse(setting, c)).toList());
    }

    /** Whether {@code source} may send a header (exact match: no 6to4 or NAT64 embedding). */
    public boolean trusts(InetAddress source) {
        for (Cidr cidr : trusted) {
            if (cidr.containsExactly(source)) {
                return true;
            }
        }
        return false;
    }

    public boolean required() {
        return mode == ProxyProtocolMode.REQUIRED;
    }
}
