package dev.sallyport.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A keep-alive HTTP/1.1 origin on loopback port 0 that tests can steer and observe at the
 * connection level: it counts connections, requests and connections the proxy closed, can hold
 * responses, half-close its idle connections, or drop the second request of each connection.
 * Every response is {@code 200} with body {@code conn <connection> req <request on it>}.
 */
final class ScriptedOrigin implements AutoCloseable {

    /** What the origin does with the second and later requests on one connection. */
    enum Mode {
        /** Answer them. */
        KEEP_ALIVE,
        /** Read the request, then close the connection without a response (a stale keep-alive connection). */
        DROP_LATER_REQUESTS
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-origin");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> idle = ConcurrentHashMap.newKeySet();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    /** Connections on which the origin read an end of input while waiting for a request. */
    final AtomicInteger closedByProxy = new AtomicInteger();
    final BlockingQueue<String> requestLines = new LinkedBlockingQueue<>();
    volatile Mode mode = Mode.KEEP_ALIVE;
    /** When set, responses wait until it opens. */
    volatile CountDownLatch gate;

    ScriptedOrigin() {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Half-closes every connection waiting for its next request, as an origin's keep-alive timeout does. */
    int halfCloseIdle() throws IOException {
        int n = 0;
        for (Socket socket : idle) {
            socket.shutdownOutput();
            n++;
        }
        return n;
    }

    private void acceptLoop() {
        int ids = 0;
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                open.add(socket);
                int id = ++ids;
                threads.execute(() -> serve(socket, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, int id) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
             OutputStream out = socket.getOutputStream()) {
            for (int n = 1; ; n++) {
                idle.add(socket);
                String requestLine = line(in);
                idle.remove(socket);
                if (requestLine == null) {
                    closedByProxy.incrementAndGet();
                    return;
                }
                long length = 0;
                for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                    int colon = header.indexOf(':');
                    if (colon > 0 && header.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                        length = Long.parseLong(header.substring(colon + 1).trim());
                    }
                }
                in.skipNBytes(length);
                requests.incrementAndGet();
                requestLines.add(requestLine);
                if (mode == Mode.DROP_LATER_REQUESTS && n >= 2) {
                    return;
                }
                CountDownLatch wait = gate;
                if (wait != null && !wait.await(30, TimeUnit.SECONDS)) {
                    return;
                }
                byte[] body = ("conn " + id + " req " + n).getBytes(StandardCharsets.US_ASCII);
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // The proxy closed or reset the connection.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            idle.remove(socket);
            open.remove(socket);
        }
    }

    /** One CRLF-terminated line, or null at the end of input. */
    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return null;
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Nothing left to release.
        }
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already closed.
            }
        }
        threads.shutdownNow();
    }
}
