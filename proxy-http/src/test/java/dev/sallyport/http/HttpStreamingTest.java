package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Streaming behaviour: back-pressure towards the origin when the client reads slowly, and 100-continue. */
@Timeout(120)
class HttpStreamingTest {

    private static final int MIB = 1 << 20;

    /**
     * Answers one GET with {@code size} pattern bytes, counting what its socket accepted: a write
     * that blocks means nobody downstream reads.
     */
    private static final class CountingOrigin implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong written = new AtomicLong();

        CountingOrigin(long size) throws IOException {
            server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
            Thread thread = new Thread(() -> {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream();
                     OutputStream out = socket.getOutputStream()) {
                    socket.setSendBufferSize(64 * 1024);
                    int matched = 0;
                    while (matched < 4) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
                    }
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[16 * 1024];
                    for (long sent = 0; sent < size; ) {
                        int len = (int) Math.min(chunk.length, size - sent);
                        for (int i = 0; i < len; i++) {
                            chunk[i] = TestBytes.pattern(sent + i);
                        }
                        out.write(chunk, 0, len);
                        sent += len;
                        written.set(sent);
                    }
                    in.read();
                } catch (IOException ignored) {
                    // The proxy went away.
                }
            }, "counting-origin");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void slowReader_10MiBDownload_theProxyStopsReadingFromTheOrigin_andDeliversEveryByte() throws Exception {
        long size = 10L * MIB;
        try (CountingOrigin origin = new CountingOrigin(size);
             ProxyManager proxy = ProxyManager.builder().http(0).start();
             Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(proxy.address("http"), 5000);
            client.setSoTimeout(30_000);
            client.getOutputStream().write(("GET http://127.0.0.1:" + origin.port() + "/big HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            // Unbuffered: every byte taken off the socket is counted as read.
            InputStream in = client.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200").contains("Content-Length: " + size);

            // Read a little, then stop reading and let the origin write until something blocks it.
            byte[] start = in.readNBytes(64 * 1024);
            assertThat(TestBytes.firstMismatch(start, 0)).as("the first byte that differs").isEqualTo(-1);
            long read = start.length;
            AtomicLong last = new AtomicLong(-1);
            AtomicLong unchanged = new AtomicLong();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                long now = origin.written.get();
                // Blocked: the count stood still over three polls in a row.
                return (now == last.getAndSet(now) ? unchanged.incrementAndGet() : unchanged.getAndSet(0)) >= 3;
            });
            long written = origin.written.get();
            long inFlight = written - read;
            // The kernel sizes the proxy's socket buffers itself (several MiB on loopback), so what is
            // in flight depends on the machine; what the proxy itself holds does not. Linux shows the
            // bytes queued in each socket: subtract those of the four sockets on the way.
            OptionalLong kernel = KernelQueues.bytesQueued(Set.of(origin.port(), proxy.address("http").getPort()));
            System.out.printf("slow reader: origin wrote %d KiB, client read %d KiB, in flight %d KiB, "
                    + "of which in socket buffers %s KiB%n", written / 1024, read / 1024, inFlight / 1024,
                    kernel.isPresent() ? kernel.getAsLong() / 1024 : "?");
            if (kernel.isPresent()) {
                long heldByTheProxy = inFlight - kernel.getAsLong();
                // The 256 KiB water mark of the client connection, plus at most one read from the origin.
                assertThat(heldByTheProxy).isLessThan(512L * 1024);
            } else {
                // Elsewhere only the coarse view: the origin is blocked before the end.
                assertThat(written).isLessThan(size);
            }

            byte[] buf = new byte[64 * 1024];
            long position = read;
            while (position < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - position));
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buf[i] != TestBytes.pattern(position + i)) {
                        throw new AssertionError("byte " + (position + i) + " differs");
                    }
                }
                position += n;
            }
            assertThat(position).isEqualTo(size);
        }
    }

    /** Linux's per-socket queue lengths ({@code /proc/net/tcp}, {@code /proc/net/tcp6}). */
    private static final class KernelQueues {

        /**
         * The bytes queued (unsent or unread) in every established socket with an end on one of
         * {@code ports}; empty when the files are missing (not Linux).
         */
        static OptionalLong bytesQueued(Set<Integer> ports) throws IOException {
            long total = 0;
            boolean found = false;
            for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                Path path = Path.of(file);
                if (!Files.isReadable(path)) {
                    continue;
                }
                found = true;
                List<String> lines = Files.readAllLines(path);
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    int local = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
                    int remote = Integer.parseInt(f[2].substring(f[2].lastIndexOf(':') + 1), 16);
                    boolean established = f[3].equals("01");
                    boolean onPath = ports.contains(local) || ports.contains(remote);
                    if (established && onPath) {
                        String[] queues = f[4].split(":");
                        total += Long.parseLong(queues[0], 16) + Long.parseLong(queues[1], 16);
                    }
                }
            }
            return found ? OptionalLong.of(total) : OptionalLong.empty();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed in the head: " + head);
            }
            head.append((char) c);
        }
        return head.toString();
    }

    @Test
    void expect100Continue_endToEnd_theClientSendsItsBodyAfterTheOriginsContinue() throws Exception {
        try (TestOrigin origin = new TestOrigin();
             ProxyManager proxy = ProxyManager.builder().http(0)
                     .resolver(Resolver.fixed(Map.of("origin.test", List.of(InetAddress.getLoopbackAddress())))).start();
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            client.send("POST http://origin.test:" + origin.port() + "/echo HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            // Nothing of the body is sent before the origin said so (RFC 9110 section 10.1.1).
            RawHttpClient.Response interim = client.response();
            assertThat(interim.status()).isEqualTo(100);
            client.send("hello world");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("hello world");
            TestOrigin.Received received = origin.take();
            assertThat(received.headers().getFirst("Expect")).isEqualTo("100-continue");

            // The connection stays usable afterwards.
            client.send("GET http://origin.test:" + origin.port() + "/after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.response().text()).isEqualTo("hello");
        }
    }
}
