package dev.sallyport.testkit;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A web server on loopback for the kit's own tests: {@code /hello} answers {@code hello},
 * {@code /bytes?n=N} sends N pattern bytes with a Content-Length, {@code /chunked} answers in
 * chunked coding. In a static {@code @RegisterExtension} field it closes after the class.
 */
final class TestOrigin implements AutoCloseable, AfterAllCallback {

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-origin");
        t.setDaemon(true);
        return t;
    });

    TestOrigin() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
                String path = exchange.getRequestURI().getPath();
                if (path.equals("/bytes")) {
                    int n = Integer.parseInt(exchange.getRequestURI().getQuery().substring(2));
                    exchange.sendResponseHeaders(200, n);
                    out.write(TestBytes.pattern(0, n));
                } else if (path.equals("/chunked")) {
                    exchange.sendResponseHeaders(200, 0);
                    out.write("first ".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    out.write("second".getBytes(StandardCharsets.US_ASCII));
                } else {
                    byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
                    exchange.sendResponseHeaders(200, body.length);
                    out.write(body);
                }
            }
        });
        server.setExecutor(threads);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
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
