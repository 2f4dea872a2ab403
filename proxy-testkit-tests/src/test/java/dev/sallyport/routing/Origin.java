package dev.sallyport.routing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback origin answering {@code hello PATH}; it remembers who called and the headers it got. */
final class Origin implements AutoCloseable {

    private final HttpServer server;
    private final Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
    private final List<Headers> requests = new CopyOnWriteArrayList<>();
    private boolean closed;

    Origin() throws IOException {
        server = HttpServer.create(new InetSocketAddress(Hops.LOOPBACK, 0), 0);
        server.createContext("/", exchange -> {
            peers.add(exchange.getRemoteAddress());
            requests.add(exchange.getRequestHeaders());
            byte[] body = ("hello " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The URL of {@code path} on this origin, in absolute-form. */
    String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** How many connections the requests so far came over. */
    int connections() {
        return peers.size();
    }

    /** The headers of each request so far, in order. */
    List<Headers> requests() {
        return requests;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            server.stop(0);
        }
    }
}
