package dev.sallyport.http;

import com.sun.net.httpserver.HttpServer;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
        return Base64.getEncoder().encodeToString((user.user().name() + ":" + user.password()).getBytes(StandardCharsets.UTF_8));
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void forwardedDownload_isHeldToTheUsersLimit() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().http(0).requireAuthentication(true).start()) {
            NewCredentials ada = proxy.users().create("ada", Limits.NONE.withBandwidth(LIMIT)).toCompletableFuture().get();
            try (Socket socket = new Socket()) {
                socket.connect(proxy.address("http"), 5000);
                socket.setSoTimeout(30_000);
                String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/download";
                socket.getOutputStream().write(("GET " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: Basic "
                        + auth(ada) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                DataInputStream in = new DataInputStream(socket.getInputStream());
                assertThat(readHead(in)).startsWith("HTTP/1.1 200");
                byte[] first = new byte[1];
                in.readFully(first);
                long start = System.nanoTime();
                in.readFully(new byte[SIZE - 1]);
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
            try (Socket socket = new Socket()) {
                socket.connect(proxy.address("http"), 5000);
                socket.setSoTimeout(30_000);
                String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/upload";
                OutputStream out = socket.getOutputStream();
                long start = System.nanoTime();
                out.write(("POST " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + SIZE
                        + "\r\nProxy-Authorization: Basic " + auth(bo) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[SIZE]);
                out.flush();
                InputStream in = socket.getInputStream();
                assertThat(readHead(in)).startsWith("HTTP/1.1 200");
                double rate = SIZE * 1e9 / (System.nanoTime() - start);
                assertThat(new String(in.readNBytes(Integer.toString(SIZE).length()), StandardCharsets.US_ASCII))
                        .isEqualTo(Integer.toString(SIZE));
                assertThat(rate).isLessThan(LIMIT * 1.5);
            }
        }
    }
}
