package dev.sallyport.core.internal.net;

import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.Transport;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Netty's asynchronous DNS resolver, one per event loop of a group. Each started manager that
 * was given {@link Resolver#system()} creates its own on its I/O threads and closes it; core
 * calls {@link #resolve(String, EventLoop)} there, on the connection's own loop.
 * {@link #SYSTEM}, what {@link Resolver#system()} returns, is a real resolver too: called
 * directly (by a resolver that wraps it), it resolves on one shared daemon thread, started on
 * first use and never stopped, with the UDP socket it asks through.
 */
public final class SystemResolver implements Resolver, AutoCloseable {

    public static final Resolver SYSTEM = new Resolver() {
        @Override
        public CompletionStage<List<InetAddress>> resolve(String host) {
            return Shared.INSTANCE.resolve(host);
        }

        @Override
        public String toString() {
            return "Resolver.system";
        }
    };

    /** The resolver behind {@link #SYSTEM}, created on first use. */
    private static final class Shared {
        static final SystemResolver INSTANCE = new SystemResolver(Transport.NIO, new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("sallyport-dns", true), NioIoHandler.newFactory()));
    }

    private final AddressResolverGroup<InetSocketAddress> group;
    private final EventLoopGroup loops;

    /** A resolver on {@code loops}, whose transport is {@code transport}. */
    public SystemResolver(Transport transport, EventLoopGroup loops) {
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannelClass())
                .socketChannelType(transport.socketChannelClass());
        this.group = new DnsAddressResolverGroup(builder);
        this.loops = loops;
    }

    @Override
    public CompletionStage<List<InetAddress>> resolve(String host) {
        CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
        resolve(host, loops.next()).addListener(f -> {
            if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> addresses = (List<InetAddress>) f.getNow();
                result.complete(addresses);
            } else {
                result.completeExceptionally(f.cause());
            }
        });
        return result;
    }

    /** Resolves on {@code eventLoop}, one of this resolver's group; completes there. */
    public Future<List<InetAddress>> resolve(String host, EventLoop eventLoop) {
        Promise<List<InetAddress>> promise = eventLoop.newPromise();
        group.getResolver(eventLoop).resolveAll(InetSocketAddress.createUnresolved(host, 0))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        promise.tryFailure(f.cause());
                        return;
                    }
                    @SuppressWarnings("unchecked")
                    List<InetSocketAddress> resolved = (List<InetSocketAddress>) f.getNow();
                    List<InetAddress> addresses = new ArrayList<>(resolved.size());
                    for (InetSocketAddress address : resolved) {
                        addresses.add(address.getAddress());
                    }
                    promise.trySuccess(addresses);
                });
        return promise;
    }

    @Override
    public void close() {
        group.close();
    }

    @Override
    public String toString() {
        return "Resolver.system";
    }
}
