package dev.sallyport.examples.embedding;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.ConnectionPoolProvider;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A test {@link ConnectionPoolProvider}, {@code recording-pool}, registered in the test
 * {@code META-INF/services}: its pool dials directly and records each acquire
 * ({@code acquire ADDRESS}) and its close ({@code closed}) under its {@code id} setting.
 */
public final class RecordingPoolProvider implements ConnectionPoolProvider {

    private static final Queue<Map.Entry<String, String>> EVENTS = new ConcurrentLinkedQueue<>();

    /** For {@link java.util.ServiceLoader}. */
    public RecordingPoolProvider() {
    }

    /** What the pools with setting {@code id} recorded, in order. */
    static List<String> events(String id) {
        return EVENTS.stream().filter(e -> e.getKey().equals(id)).map(Map.Entry::getValue).toList();
    }

    @Override
    public String name() {
        return "recording-pool";
    }

    @Override
    public ConnectionPool create(Map<String, String> settings) {
        String id = settings.get("id");
        if (id == null) {
            throw new IllegalArgumentException("recording-pool: setting 'id' missing (expected: any text)");
        }
        return new Pool(id);
    }

    private record Pool(String id) implements ConnectionPool, AutoCloseable {
        @Override
        public Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
            EVENTS.add(Map.entry(id, "acquire " + address.getAddress().getHostAddress() + ":" + address.getPort()));
            return dialer.dial(address, eventLoop);
        }

        @Override
        public void close() {
            EVENTS.add(Map.entry(id, "closed"));
        }
    }
}
