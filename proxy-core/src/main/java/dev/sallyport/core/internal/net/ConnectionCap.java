package dev.sallyport.core.internal.net;

import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A cap on the connections a small service listener (forward auth, metrics) holds open at once,
 * in total and per client IP, so that idle connections cannot use up the process's file
 * descriptors nor one client take every slot. Checked at accept, in the child initializer:
 * a connection over a cap is closed before anything is read from it.
 */
public final class ConnectionCap {

    private static final Logger log = LoggerFactory.getLogger(ConnectionCap.class);

    /** The reason a connection over the total cap is refused with. */
    public static final String MAX_CONNECTIONS = "max_connections";
    /** The reason a connection over its client's cap is refused with. */
    public static final String MAX_CONNECTIONS_PER_CLIENT = "max_connections_per_client";

    private final String listener;
    private final int total;
    private final int perClient;
    private final Consumer<String> refused;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<Object, Integer> byClient = new ConcurrentHashMap<>();

    /**
     * @param listener  the listener's name in log lines
     * @param total     connections open at once, at most
     * @param perClient connections open at once from one client IP, at most
     * @param refused   told the reason of each connection refused (a metric), on the accepting thread
     */
    public ConnectionCap(String listener, int total, int perClient, Consumer<String> refused) {
        if (total < 1 || perClient < 1 || perClient > total) {
            throw new IllegalArgumentException("caps: " + total + ", " + perClient
                    + " (expected: 1 <= per client <= total)");
        }
        this.listener = listener;
        this.total = total;
        this.perClient = perClient;
        this.refused = refused;
    }

    /**
     * Counts {@code channel} until it closes; over a cap, closes it at once instead and answers
     * false (the caller then sets up nothing for it).
     */
    public boolean admit(Channel channel) {
        SocketAddress remote = channel.remoteAddress();
        Object client = remote instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress()
                : String.valueOf(remote);
        int all = open.incrementAndGet();
        int mine = byClient.merge(client, 1, Integer::sum);
        if (all <= total && mine <= perClient) {
            channel.closeFuture().addListener(f -> release(client));
            return true;
        }
        release(client);
        String reason = all > total ? MAX_CONNECTIONS : MAX_CONNECTIONS_PER_CLIENT;
        log.debug("{}: over {} connections {}, closing one from {}", listener, all > total ? total : perClient,
                all > total ? "in all" : "from one client", remote);
        refused.accept(reason); // counted before the client can see the close
        channel.close();
        return false;
    }

    private void release(Object client) {
        open.decrementAndGet();
        byClient.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
    }

    @Override
    public String toString() {
        return "ConnectionCap[" + listener + ", " + open.get() + " of " + total + ", " + perClient + " per client]";
    }
}
