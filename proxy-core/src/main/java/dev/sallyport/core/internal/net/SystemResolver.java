package dev.sallyport.core.internal.net;

import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.Transport;

import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's asynchronous DNS resolver, one per event loop. {@link #MARKER} is what
 * {@link Resolver#system()} returns; each started manager creates its own instance and closes it.
 */
public final class SystemResolver implements Resolver, AutoCloseable {

    public static final Resolver MARKER = new Resolver() {
        @Override
        public Future<List<InetAddress>> resolve(String host, EventLoop eventLoop) {
            throw new IllegalStateException("Resolver.system() is only a marker; core replaces it at start()");
        }

        @Override
        public String toString() {
            return "Resolver.system";
        }
    };

    private final AddressResolverGroup<InetSocketAddress> group;

    public SystemResolver(Transport transport) {
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannelClass())
                .socketChannelType(transport.socketChannelClass());
        this.group = new DnsAddressResolverGroup(builder);
    }

    @Override
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
}
