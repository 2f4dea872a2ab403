package dev.sallyport.core.internal;

import io.netty.channel.Channel;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections open per client address (see {@link ClientAddress}), for the per-client connection
 * cap: counted at accept, or, behind a PROXY protocol balancer, once the header named the client.
 */
final class ClientCounts {

    private final ConcurrentHashMap<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
    /** 0 for no cap. */
    private final int cap;

    ClientCounts(int cap) {
        this.cap = cap;
    }

    /**
     * Counts one more connection of {@code client}; one past the cap is marked
     * {@link Engine#OVER_CAPACITY}, unless a cap marked it already. The caller gives the count back
     * with {@link #remove} when the connection closes.
     */
    AtomicInteger add(Channel channel, InetAddress client) {
        AtomicInteger fromClient = open.computeIfAbsent(client, k -> new AtomicInteger());
        int count = fromClient.incrementAndGet();
        if (cap > 0 && count > cap && channel.attr(Engine.OVER_CAPACITY).get() == null) {
            channel.attr(Engine.OVER_CAPACITY).set("max-connections-per-client");
        }
        return fromClient;
    }

    void remove(InetAddress client, AtomicInteger fromClient) {
        if (fromClient.decrementAndGet() == 0) {
            open.remove(client, fromClient);
        }
    }

    /** Counts {@code channel}'s client until the channel closes. */
    void addUntilClosed(Channel channel) {
        InetAddress client = ClientAddress.of(channel).getAddress();
        AtomicInteger fromClient = add(channel, client);
        channel.closeFuture().addListener(f -> remove(client, fromClient));
    }
}
