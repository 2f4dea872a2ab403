package dev.sallyport.routing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder in front of an upstream proxy that a test can kill and revive: while killed it
 * accepts and closes at once (the upstream dies mid-handshake). Counts the connections it accepts.
 */
final class Gate implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress backend;
    private final AtomicBoolean killed = new AtomicBoolean();
    private final AtomicInteger accepted = new AtomicInteger();

    Gate(InetSocketAddress backend) throws IOException {
        this.backend = backend;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "gate-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int accepted() {
        return accepted.get();
    }

    void kill() {
        killed.set(true);
    }

    void revive() {
        killed.set(false);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                if (killed.get()) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(backend.getAddress(), backend.getPort());
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                // Closed: the loop ends.
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // One side went away: close both below.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "gate-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
