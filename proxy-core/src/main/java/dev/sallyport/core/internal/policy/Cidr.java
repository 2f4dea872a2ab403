package dev.sallyport.core.internal.policy;

import dev.sallyport.core.internal.net.Addresses;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.Objects;

/** An IPv4 or IPv6 prefix; IPv4-mapped IPv6 addresses match their IPv4 prefixes. */
@SuppressWarnings("ArrayRecordComponent") // equals and hashCode below compare the network's bytes
public record Cidr(byte[] network, int prefix, String text) {

    public static Cidr parse(String setting, String text) {
        Objects.requireNonNull(text, setting);
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null) {
            throw new IllegalArgumentException(setting + ": '" + text + "' (expected: an address or CIDR such as 10.0.0.0/8 or fd00::/8)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException(setting + ": '" + text + "' (expected: a prefix length 0-" + max + ")");
            }
        }
        for (int bit = prefix; bit < max; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return new Cidr(bytes, prefix, trimmed);
    }

    /**
     * Whether the address, or the IPv4 address embedded in it (IPv4-mapped, IPv4-compatible
     * ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16), lies in this prefix.
     */
    public boolean contains(InetAddress address) {
        byte[] raw = address.getAddress();
        if (matches(raw)) {
            return true;
        }
        byte[] embedded = Addresses.embeddedIpv4(raw);
        return embedded != null && matches(embedded);
    }

    /**
     * Whether the address itself lies in this prefix, IPv4-mapped IPv6 read as IPv4, but no other
     * embedding: for trust decisions, where a 6to4 or NAT64 address is not the IPv4 host it embeds.
     */
    public boolean containsExactly(InetAddress address) {
        return matches(Addresses.unmapped(address).getAddress());
    }

    private boolean matches(byte[] candidate) {
        if (candidate.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (candidate[full] & mask) == (network[full] & mask);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        return text;
    }
}
