package dev.sallyport.core;

import dev.sallyport.core.internal.net.FixedResolver;
import dev.sallyport.core.internal.net.SystemResolver;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Resolves target host names without blocking. Core never passes IP literals here.
 *
 * <p>The default ({@link #system()}) is Netty's asynchronous DNS resolver reading the system
 * configuration ({@code /etc/resolv.conf}, {@code /etc/hosts}). Tests and special deployments
 * pass their own, e.g. {@link #fixed(Map)}, or wrap one:
 *
 * <pre>{@code
 * Resolver ipv4Only = host -> Resolver.system().resolve(host)
 *         .thenApply(all -> all.stream().filter(a -> a instanceof Inet4Address).toList());
 * }</pre>
 */
@FunctionalInterface
public interface Resolver {

    /**
     * Resolves {@code host} to one or more addresses, in preference order. Must not block; the
     * stage may complete on any thread (core continues on the connection's own). Fails with
     * {@link UnknownHostException} when the name does not exist.
     *
     * @param host the name to resolve
     * @return completes with the addresses
     */
    CompletionStage<List<InetAddress>> resolve(String host);

    /**
     * The asynchronous DNS resolver of the system configuration (the default). A manager given
     * this very instance resolves on its own I/O threads; called anywhere else (by a resolver
     * that wraps it, say), it resolves on one shared daemon thread, started on first use.
     *
     * @return the system resolver
     */
    static Resolver system() {
        return SystemResolver.SYSTEM;
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
