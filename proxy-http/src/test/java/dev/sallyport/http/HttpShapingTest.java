package dev.sallyport.http;

import com.sun.net.httpserver.HttpServer;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** A user's bandwidth limit shapes forwarded (not only tunnelled) HTTP bodies, both ways. */
@Timeout(120)
class HttpShapingTest {

    private static final long LIMIT = 512 * 1024;
    private static final int SIZE = (int) (LIMIT * 2); // about 1.9 s at the limit
    private static HttpServer origin;

    @BeforeAll
    static void startOrigin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.setExecutor(Executors.newCachedThreadPool());
        origin.createContext("/download", exchange -> {
            exchange.sendResponseHeaders(200, SIZE);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = new byte[16384];
                for (int left = SIZE; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, Math.min(chunk.length, left));
                }
            }
        });
        origin.createContext("/upload", exchange -> {
            long n = exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            byte[] body = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        origin.start();
    }

    @AfterAll
    static void stopOrigin() {
        origin.stop(0);
    }

    private static String auth(NewCredentials user) {
        return RawHttpClient.proxyAuthorization(user.user().name(), user.password());
    }

    /** A client on the proxy whose reads wait up to 30 s: the transfers take about two at the limit. */
    private static RawHttpClient client(ProxyManager proxy) throws IOException {
        RawHttpClient client = RawHttpClient.open(proxy.address("http"));
        client.socket().setSoTimeout(30_000);
        return client;
    }

    /** Reads a response's status line and header section; fails unless it is an HTTP/1.1 200. */
    private static void expectOk(RawHttpClient client) throws IOException {
        RawHttpClient.Response head = client.head();
        assertThat(head.version() + " " + head.status()).isEqualTo("HTTP/1.1 200");
    }

    @Test
    void forwardedDownload_isHeldToTheUsersLimit() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().http(0).requireAuthentication(true).start()) {
            NewCredentials ada = proxy.users().create("ada", Limits.NONE.withBandwidth(LIMIT)).toCompletableFuture().get();
            try (RawHttpClient client = client(proxy)) {
                String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/download";
                client.send("GET " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth(ada) + "\r\n\r\n");
                expectOk(client);
                client.read(1);
                long start = System.nanoTime();
                client.read(SIZE - 1);
                double rate = (SIZE - 1) * 1e9 / (System.nanoTime() - start);
                // One-sided and wide: a slow machine cannot fail it, a missing shaper can. The rate
                // itself is pinned on a fake ticker in proxy-core (BucketShaperTest).
                assertThat(rate).isLessThan(LIMIT * 1.5);
            }
        }
    }

    @Test
    void forwardedUpload_isHeldToTheUsersLimit() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().http(0).requireAuthentication(true).start()) {
            NewCredentials bo = proxy.users().create("bo", Limits.NONE.withBandwidth(LIMIT)).toCompletableFuture().get();
            try (RawHttpClient client = client(proxy)) {
                String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/upload";
                long start = System.nanoTime();
                client.send("POST " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + SIZE
                        + "\r\n" + auth(bo) + "\r\n\r\n");
                client.send(new byte[SIZE]);
                expectOk(client);
                double rate = SIZE * 1e9 / (System.nanoTime() - start);
                assertThat(new String(client.read(Integer.toString(SIZE).length()), StandardCharsets.US_ASCII))
                        .isEqualTo(Integer.toString(SIZE));
                assertThat(rate).isLessThan(LIMIT * 1.5);
            }
        }
    }
}
