package dev.sallyport.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Objects;

/** How the test clients open their connections. */
final class Sockets {

    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    static final int READ_TIMEOUT_MILLIS = 10_000;

    private Sockets() {
    }

    /** A socket connected to {@code address} with the clients' timeouts. */
    static Socket connect(InetSocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        Socket socket = new Socket();
        try {
            socket.connect(address, CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    static int port(byte[] raw, int at) {
        return ((raw[at] & 0xff) << 8) | (raw[at + 1] & 0xff);
    }
}
