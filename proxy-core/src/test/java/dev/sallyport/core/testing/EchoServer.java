package dev.sallyport.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking TCP server on loopback port 0 for tests. In {@link Mode#ECHO} it writes back every
 * byte it reads and half-closes when the client does; in {@link Mode#REPLY_AFTER_EOF} it reads
 * until the client half-closes, then sends a fixed reply and closes.
 */
public final class EchoServer implements AutoCloseable {

    /** What the server does with a connection. */
    public enum Mode { ECHO, REPLY_AFTER_EOF }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "echo-server");
        t.setDaemon(true);
        return t;
    });
    private final Mode mode;
    private final byte[] reply;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Queue<Socket> sockets = new ConcurrentLinkedQueue<>();
    private final Queue<InetSocketAddress> acceptedOn = new ConcurrentLinkedQueue<>();
    private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();

    private EchoServer(Mode mode, byte[] reply, InetAddress bind) {
        this.mode = mode;
        this.reply = reply;
        try {
            server = new ServerSocket(0, 200, bind);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        threads.execute(this::acceptLoop);
    }

    /** An echo server. */
    public static EchoServer echo() {
        return new EchoServer(Mode.ECHO, null, InetAddress.getLoopbackAddress());
    }

    /** An echo server on another loopback address, e.g. 127.0.0.2. */
    public static EchoServer echo(InetAddress loopback) {
        if (!loopback.isLoopbackAddress()) {
            throw new IllegalArgumentException("tests stay on loopback: " + loopback);
        }
        return new EchoServer(Mode.ECHO, null, loopback);
    }

    /** A server that answers {@code reply} after the client half-closes. */
    public static EchoServer replyAfterEof(byte[] reply) {
        return new EchoServer(Mode.REPLY_AFTER_EOF, reply.clone(), InetAddress.getLoopbackAddress());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** The local address of every accepted connection: the address the proxy dialled. */
    public Queue<InetSocketAddress> acceptedOn() {
        return acceptedOn;
    }

    /** Remote addresses seen, i.e. the proxy's outbound sockets. */
    public Queue<Socket> sockets() {
        return sockets;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                acceptedOn.add((InetSocketAddress) socket.getLocalSocketAddress());
                accepted.incrementAndGet();
                sockets.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            byte[] buf = new byte[16384];
            int n;
            if (mode == Mode.ECHO) {
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                socket.shutdownOutput();
            } else {
                while (in.read(buf) >= 0) {
                    // Read everything the client sends until its EOF.
                }
                out.write(reply);
                out.flush();
            }
        } catch (IOException e) {
            if (!server.isClosed()) {
                errors.add(e);
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing a server socket that failed to close leaves nothing to clean up.
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already closed by its handler.
            }
        }
        threads.shutdownNow();
    }
}
