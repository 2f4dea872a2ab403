package dev.sallyport.core.internal;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;

/**
 * The one place that says who a client connection's client is: the address a trusted PROXY
 * protocol header gave, else the socket's peer. Every rule, cap, lockout, log line, metric and
 * event reads the client through here (or through the session, which reads it here).
 */
public final class ClientAddress {

    /** Set by the PROXY protocol gate once a trusted header named the client. */
    static final AttributeKey<InetSocketAddress> FROM_HEADER = AttributeKey.valueOf("sallyport.clientFromHeader");

    private ClientAddress() {
    }

    /** The client of {@code channel}; {@code hasAttr} first, as {@code attr} would allocate on every connection. */
    public static InetSocketAddress of(Channel channel) {
        if (channel.hasAttr(FROM_HEADER)) {
            InetSocketAddress fromHeader = channel.attr(FROM_HEADER).get();
            if (fromHeader != null) {
                return fromHeader;
            }
        }
        return (InetSocketAddress) channel.remoteAddress();
    }

    /** The address a trusted PROXY protocol header gave {@code channel}'s client, or null. */
    public static InetSocketAddress fromHeader(Channel channel) {
        return channel.hasAttr(FROM_HEADER) ? channel.attr(FROM_HEADER).get() : null;
    }
}
