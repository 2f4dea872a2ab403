package dev.sallyport.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A blocking TCP server on a loopback address, port 0, one thread per connection: the target a
 * test's client reaches through the proxy. Each kind records what it saw, and a test waits for
 * it without sleeping ({@code await...} methods).
 *
 * <ul>
 *   <li>{@link #echo()} writes back every byte and half-closes when the client does;</li>
 *   <li>{@link #sink()} reads and counts until the client closes;</li>
 *   <li>{@link #source(long)} sends {@code n} {@link TestBytes#pattern(long) pattern} bytes to each
 *       connection, half-closes, and reads until the client closes;</li>
 *   <li>{@link #replyAfterEof(byte[])} reads until the client half-closes, then answers.</li>
 * </ul>
 *
 * <pre>{@code
 * try (TcpServer echo = TcpServer.echo()) {
 *     socket.connect(echo.address());
 *     ...
 *     assertThat(echo.awaitEnded(1, Duration.ofSeconds(10)).get(0).reset()).isFalse();
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} closes the listening socket and every open connection. In a
 * {@code @RegisterExtension} field the server closes itself: after the class for a {@code static}
 * field, after each test for an instance field.
 *
 * <pre>{@code
 * @RegisterExtension
 * static TcpServer echo = TcpServer.echo();
 * }</pre>
 */
public final class TcpServer extends ClosedAfterUse {

    /** An accepted connection: the server's address and the peer's (the proxy's outbound socket). */
    public record Connection(InetSocketAddress local, InetSocketAddress remote) {
    }

    /**
     * A connection that ended.
     *
     * @param bytesReceived bytes the server read on it
     * @param bytesSent     bytes the server wrote on it
     * @param reset         whether it ended in an error (reset by the peer, broken pipe) rather
     *                      than an orderly end of input
     */
    public record Ended(Connection connection, long bytesReceived, long bytesSent, boolean reset) {
    }

    /** What the server does with one connection. */
    @FunctionalInterface
    private interface Behaviour {
        void serve(Socket socket, Counted io) throws IOException;
    }

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final ExecutorService threads;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Ended> ended = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong received = new AtomicLong();
    private final Signal signal = new Signal();
    private volatile boolean closed;
    private final Future<?> acceptor;

    private TcpServer(String kind, InetAddress bind, Behaviour behaviour) {
        if (!bind.isLoopbackAddress()) {
            throw new IllegalArgumentException("bind: " + bind + " (expected: a loopback address)");
        }
        this.behaviour = behaviour;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-tcp-" + kind);
            t.setDaemon(true);
            return t;
        });
        try {
            server = new ServerSocket(0, 200, bind);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = threads.submit(this::acceptLoop);
    }

    /**
     * Echoes every byte on 127.0.0.1.
     *
     * @return the started server
     */
    public static TcpServer echo() {
        return echo(InetAddress.getLoopbackAddress());
    }

    /**
     * Echoes every byte on another loopback address, e.g. 127.0.0.2.
     *
     * @param loopback the loopback address to bind
     * @return the started server
     */
    public static TcpServer echo(InetAddress loopback) {
        Objects.requireNonNull(loopback, "loopback");
        return new TcpServer("echo", loopback, (socket, io) -> {
            byte[] buf = new byte[16384];
            for (int n = io.read(buf); n >= 0; n = io.read(buf)) {
                io.write(buf, 0, n);
            }
            socket.shutdownOutput();
        });
    }

    /**
     * Reads and counts every byte until the client closes.
     *
     * @return the started server
     */
    public static TcpServer sink() {
        return new TcpServer("sink", InetAddress.getLoopbackAddress(), (socket, io) -> {
            byte[] buf = new byte[65536];
            while (io.read(buf) >= 0) {
                // Counted by io.
            }
        });
    }

    /**
     * Sends {@code bytes} pattern bytes to every connection as fast as it takes them, then
     * half-closes; what the client sends is read and counted.
     *
     * @param bytes the bytes to send each connection
     * @return the started server
     */
    public static TcpServer source(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " (expected: >= 0)");
        }
        return new TcpServer("source", InetAddress.getLoopbackAddress(), (socket, io) -> {
            byte[] chunk = new byte[16384];
            for (long sent = 0; sent < bytes; ) {
                int n = (int) Math.min(chunk.length, bytes - sent);
                TestBytes.fill(chunk, 0, n, sent);
                io.write(chunk, 0, n);
                sent += n;
            }
            socket.shutdownOutput();
            while (io.read(chunk) >= 0) {
                // Until the client closes: closing with unread input would reset the connection.
            }
        });
    }

    /**
     * Reads until the client half-closes, then sends {@code reply} and closes.
     *
     * @param reply the reply
     * @return the started server
     */
    public static TcpServer replyAfterEof(byte[] reply) {
        byte[] copy = Objects.requireNonNull(reply, "reply").clone();
        return new TcpServer("reply", InetAddress.getLoopbackAddress(), (socket, io) -> {
            byte[] buf = new byte[16384];
            while (io.read(buf) >= 0) {
                // Everything the client sends, up to its end of input.
            }
            io.write(copy, 0, copy.length);
        });
    }

    /**
     * The listening address.
     *
     * @return the address
     */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /**
     * The listening port.
     *
     * @return the port
     */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * Every connection accepted so far, in order.
     *
     * @return the connections
     */
    public List<Connection> connections() {
        return List.copyOf(connections);
    }

    /**
     * Waits until at least {@code count} connections were accepted; returns them all.
     *
     * @param count the number of connections
     * @param timeout how long to wait at most
     * @return the connections
     */
    public List<Connection> awaitConnections(int count, Duration timeout) {
        return signal.await(() -> connections.size() >= count ? List.copyOf(connections) : null,
                Signal.requireTimeout(timeout), count + " connection(s)", () -> "accepted " + connections.size());
    }

    /**
     * Bytes read from every connection together, so far.
     *
     * @return the bytes read
     */
    public long bytesReceived() {
        return received.get();
    }

    /**
     * Waits until at least {@code bytes} were read from all connections together; returns the total.
     *
     * @param bytes the bytes to wait for
     * @param timeout how long to wait at most
     * @return the bytes read
     */
    public long awaitBytesReceived(long bytes, Duration timeout) {
        return signal.await(() -> received.get() >= bytes ? received.get() : null, Signal.requireTimeout(timeout),
                bytes + " bytes received", () -> "received " + received.get());
    }

    /**
     * Waits until at least {@code count} connections ended; returns every ended one, in order of ending.
     *
     * @param count the number of connections
     * @param timeout how long to wait at most
     * @return the ended connections
     */
    public List<Ended> awaitEnded(int count, Duration timeout) {
        return signal.await(() -> ended.size() >= count ? List.copyOf(ended) : null, Signal.requireTimeout(timeout),
                count + " ended connection(s)", () -> ended.size() + " ended: " + ended);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            open.add(socket);
            if (closed) {
                // Accepted while close() ran: it may have closed the others before this one was added.
                closeQuietly(socket);
                return;
            }
            Connection connection = new Connection((InetSocketAddress) socket.getLocalSocketAddress(),
                    (InetSocketAddress) socket.getRemoteSocketAddress());
            connections.add(connection);
            signal.signal();
            try {
                threads.execute(() -> serve(socket, connection));
            } catch (RejectedExecutionException closing) {
                closeQuietly(socket);
                return;
            }
        }
    }

    private void serve(Socket socket, Connection connection) {
        Counted io = null;
        boolean reset = false;
        try (socket) {
            io = new Counted(socket.getInputStream(), socket.getOutputStream());
            behaviour.serve(socket, io);
        } catch (IOException e) {
            reset = true;
        } finally {
            open.remove(socket);
            ended.add(new Ended(connection, io == null ? 0 : io.in, io == null ? 0 : io.out, reset));
            signal.signal();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Nothing is left to release when closing fails.
        }
        // A thread blocked in accept() keeps the listening socket open until it wakes up, after
        // ServerSocket.close() has returned: wait for it, so the port is free when close() returns.
        try {
            acceptor.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Ended by failing (the socket is closed), or still blocked after 10 s: nothing more to wait for.
        }
        open.forEach(TcpServer::closeQuietly);
        threads.shutdownNow();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closed by its own thread meanwhile.
        }
    }

    @Override
    public String toString() {
        return "TcpServer" + address();
    }

    /** The streams of one connection, counting what passes. */
    private final class Counted {
        private final InputStream input;
        private final OutputStream output;
        long in;
        long out;

        Counted(InputStream input, OutputStream output) {
            this.input = input;
            this.output = output;
        }

        int read(byte[] buf) throws IOException {
            int n = input.read(buf);
            if (n > 0) {
                in += n;
                received.addAndGet(n);
                signal.signal();
            }
            return n;
        }

        void write(byte[] buf, int off, int len) throws IOException {
            output.write(buf, off, len);
            out += len;
        }
    }
}
