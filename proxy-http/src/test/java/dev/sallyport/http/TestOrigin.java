package dev.sallyport.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A web server on loopback port 0 for tests. {@code /echo} streams the request body back,
 * {@code /bytes?n=N} sends N {@link TestBytes#pattern(long) pattern} bytes, anything else answers
 * {@code hello}. Every request is recorded with its headers and the proxy's outbound port. In a
 * static {@code @RegisterExtension} field it forgets what earlier tests sent before each test and
 * closes after the class.
 */
final class TestOrigin implements AutoCloseable, BeforeEachCallback, AfterAllCallback {

    /** What the origin received. */
    record Received(String method, String uri, Headers headers, InetSocketAddress from) {
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-origin");
        t.setDaemon(true);
        return t;
    });
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

    TestOrigin() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The next request the origin received, waiting up to 10 s. */
    Received take() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("the origin received no request within 10 s");
        }
        return r;
    }

    /** Forgets what earlier tests sent. */
    void clear() {
        received.clear();
    }

    /** Distinct proxy-side ports seen: the number of connections the proxy opened. */
    int connections() {
        return clientPorts.size();
    }

    private void handle(HttpExchange exchange) throws IOException {
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                exchange.getRequestHeaders(), exchange.getRemoteAddress()));
        clientPorts.add(exchange.getRemoteAddress().getPort());
        String path = exchange.getRequestURI().getPath();
        try (exchange; InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
            if (path.equals("/echo")) {
                exchange.sendResponseHeaders(200, 0);
                in.transferTo(out);
            } else if (path.equals("/bytes")) {
                in.transferTo(OutputStream.nullOutputStream());
                long n = Long.parseLong(exchange.getRequestURI().getQuery().substring(2));
                exchange.sendResponseHeaders(200, n);
                for (long sent = 0; sent < n; ) {
                    int len = (int) Math.min(8192, n - sent);
                    out.write(TestBytes.pattern(sent, len));
                    sent += len;
                }
            } else {
                in.transferTo(OutputStream.nullOutputStream());
                byte[] body = "hello".getBytes();
                exchange.getResponseHeaders().add("Connection", "X-Origin-Private");
                exchange.getResponseHeaders().add("X-Origin-Private", "1");
                exchange.getResponseHeaders().add("Keep-Alive", "timeout=5");
                exchange.sendResponseHeaders(200, "HEAD".equals(exchange.getRequestMethod()) ? -1 : body.length);
                if (!"HEAD".equals(exchange.getRequestMethod())) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
