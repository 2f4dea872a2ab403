package dev.sallyport.auth.jdbc;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A minimal SOCKS5 client (RFC 1928, RFC 1929) that sends user names as raw UTF-8 bytes. */
final class Socks5Client implements AutoCloseable {

    private final Socket socket = new Socket();
    private final DataInputStream in;
    private final OutputStream out;

    Socks5Client(InetSocketAddress proxy) throws IOException {
        socket.connect(proxy, 5000);
        socket.setSoTimeout(15_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Offers username/password auth and logs in; returns the RFC 1929 status (0 = success). */
    int login(String user, String password) throws IOException {
        out.write(new byte[] {5, 1, 2});
        out.flush();
        byte[] choice = new byte[2];
        in.readFully(choice);
        if (choice[0] != 5 || choice[1] != 2) {
            throw new AssertionError("proxy chose method " + choice[1]);
        }
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        msg.write(1);
        msg.write(u.length);
        msg.writeBytes(u);
        msg.write(p.length);
        msg.writeBytes(p);
        out.write(msg.toByteArray());
        out.flush();
        byte[] status = new byte[2];
        in.readFully(status);
        return status[1] & 0xff;
    }

    /** CONNECT to 127.0.0.1:{@code port}; returns the REP code. */
    int connectLoopback(int port) throws IOException {
        out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        out.flush();
        byte[] head = new byte[4];
        in.readFully(head);
        in.readFully(new byte[head[3] == 4 ? 18 : 6]);
        return head[1] & 0xff;
    }

    /** Sends {@code data} (then half-closes) while reading the echo until EOF; returns what came back. */
    byte[] echo(byte[] data) throws Exception {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(data);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        ByteArrayOutputStream received = new ByteArrayOutputStream(data.length);
        in.transferTo(received);
        writer.get(30, TimeUnit.SECONDS);
        return received.toByteArray();
    }

    /** True when the proxy closed the connection. */
    boolean closedByPeer() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
