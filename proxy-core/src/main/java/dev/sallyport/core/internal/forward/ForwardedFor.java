package dev.sallyport.core.internal.forward;

import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client of a forward-auth request is. The direct caller (the peer) is believed about
 * {@code X-Forwarded-For} only when it lies in a trusted CIDR; then the list is read from the
 * right, each hop appended by the one before, and the first hop that is not itself trusted is the
 * client. Entries left of it were written by the client and are never believed. A hop that is not
 * an IP address ends the walk at the trusted hop that wrote it, and at most {@link #MAX_HOPS}
 * hops are read: a long list cannot make the walk costly.
 */
final class ForwardedFor {

    static final int MAX_HOPS = 32;

    private ForwardedFor() {
    }

    /**
     * The client address: the right-most untrusted hop of {@code headers} (every
     * {@code X-Forwarded-For} field, in order) when {@code peer} is trusted, else {@code peer}.
     * A hop from the header carries port 0.
     */
    static InetSocketAddress client(InetSocketAddress peer, List<String> headers, List<Cidr> trusted) {
        if (headers.isEmpty() || !trusts(trusted, peer.getAddress())) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String header : headers) {
            for (String hop : header.split(",", -1)) {
                hops.add(hop);
            }
        }
        InetSocketAddress client = peer;
        for (int i = hops.size() - 1, read = 0; i >= 0 && read < MAX_HOPS; i--, read++) {
            InetAddress hop = parse(hops.get(i));
            if (hop == null) {
                return client;
            }
            client = new InetSocketAddress(Addresses.unmapped(hop), 0);
            if (!trusts(trusted, hop)) {
                return client;
            }
        }
        return client;
    }

    /** A hop: an IP address, IPv6 optionally in brackets, either optionally with a port; null otherwise. */
    static InetAddress parse(String hop) {
        String text = hop.strip();
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0 || (end + 1 < text.length() && !port(text.substring(end + 1)))) {
                return null;
            }
            text = text.substring(1, end);
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') > 0) {
            int colon = text.indexOf(':');
            if (!port(text.substring(colon))) {
                return null;
            }
            text = text.substring(0, colon);
        }
        return text.isEmpty() || text.indexOf('%') >= 0 ? null : Addresses.literal(text);
    }

    private static boolean port(String suffix) {
        return suffix.length() > 1 && suffix.length() <= 6 && suffix.charAt(0) == ':'
                && suffix.substring(1).chars().allMatch(c -> c >= '0' && c <= '9');
    }

    static boolean trusts(List<Cidr> trusted, InetAddress address) {
        for (Cidr cidr : trusted) {
            if (cidr.containsExactly(address)) {
                return true;
            }
        }
        return false;
    }
}
