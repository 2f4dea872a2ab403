package dev.sallyport.core;

import dev.sallyport.core.internal.net.FixedResolver;
import dev.sallyport.core.internal.net.SystemResolver;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * Resolves target host names without blocking. Core never passes IP literals here.
 *
 * <p>The default ({@link #system()}) is Netty's asynchronous DNS resolver reading the system
 * configuration ({@code /etc/resolv.conf}, {@code /etc/hosts}). Tests and special deployments
 * pass their own, e.g. {@link #fixed(Map)}.
 */
@FunctionalInterface
public interface Resolver {

    /**
     * Resolves {@code host} to one or more addresses, in preference order. Completes on any
     * thread; fails with {@link UnknownHostException} when the name does not exist.
     *
     * @param host the name to resolve
     * @param eventLoop the event loop asking
     * @return completes with the addresses
     */
    Future<List<InetAddress>> resolve(String host, EventLoop eventLoop);

    /**
     * The asynchronous DNS resolver of the system configuration (the default).
     *
     * @return the system resolver
     */
    static Resolver system() {
        return SystemResolver.MARKER;
    }

    /**
     * A resolver that knows only the names in {@code hosts} and fails every other name with
     * {@link UnknownHostException}, without sending anything to a DNS server. Names match
     * case-insensitively.
     *
     * @param hosts names and their addresses
     * @return the resolver
     */
    static Resolver fixed(Map<String, List<InetAddress>> hosts) {
        return new FixedResolver(hosts);
    }
}
