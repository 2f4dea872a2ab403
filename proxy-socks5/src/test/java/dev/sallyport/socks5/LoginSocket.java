package dev.sallyport.socks5;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One SOCKS5 client connection that logs in (RFC 1928 greeting offering only 0x02, then RFC 1929
 * credentials) from a chosen loopback source address, sending both messages in one write so that
 * a flood costs the test one syscall per connection and no reads.
 */
final class LoginSocket implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;

    private LoginSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Connects to {@code proxy} from {@code source} (any 127.0.0.0/8 address works on loopback). */
    static LoginSocket open(InetSocketAddress proxy, InetAddress source) throws IOException {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(proxy, 5_000);
            socket.setSoTimeout(20_000);
            return new LoginSocket(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends the greeting and the credentials without waiting for any answer. */
    LoginSocket send(String user, String password) throws IOException {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.writeBytes(new byte[] {5, 1, 2, 1});
        message.write(u.length);
        message.writeBytes(u);
        message.write(p.length);
        message.writeBytes(p);
        socket.getOutputStream().write(message.toByteArray());
        return this;
    }

    /** Reads the method choice and the login status: 0 for success, -1 when the proxy closed first. */
    int status() throws IOException {
        try {
            byte[] method = new byte[2];
            in.readFully(method);
            if (method[0] != 5 || method[1] != 2) {
                throw new AssertionError("method reply " + method[0] + "," + method[1] + " (expected: 5,2)");
            }
            byte[] status = new byte[2];
            in.readFully(status);
            if (status[0] != 1) {
                throw new AssertionError("RFC 1929 version " + status[0] + " (expected: 1)");
            }
            return status[1] & 0xff;
        } catch (EOFException closed) {
            return -1;
        }
    }

    /** Logs in on a new connection from {@code source}; returns the status. */
    static int login(InetSocketAddress proxy, InetAddress source, String user, String password) throws IOException {
        try (LoginSocket socket = open(proxy, source)) {
            return socket.send(user, password).status();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
