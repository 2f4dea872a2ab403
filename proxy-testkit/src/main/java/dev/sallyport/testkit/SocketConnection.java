package dev.sallyport.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.Function;

/** The socket and streams behind each test client. */
abstract class SocketConnection implements RawConnection {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** Connects to {@code address}; {@code input} wraps the socket's raw input for reading. */
    SocketConnection(InetSocketAddress address, Function<InputStream, InputStream> input)
            throws IOException {
        this.socket = Sockets.connect(address);
        this.in = input.apply(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    @Override
    public final Socket socket() {
        return socket;
    }

    @Override
    public final InputStream in() {
        return in;
    }

    @Override
    public final OutputStream out() {
        return out;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + socket.getRemoteSocketAddress();
    }
}
